package org.relaymail.examples.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code relaymail} command-line tool ({@code java -jar examples/target/relaymail.jar}):
 * {@code send}, {@code queue} and {@code mx}. Errors print one line and exit non-zero; {@code
 * --verbose} adds the stack trace and the relay's log.
 */
@Command(name = "relaymail", mixinStandardHelpOptions = true, version = "relaymail 0.1.0-SNAPSHOT",
    description = "Send mail, inspect and manage a relaymail queue, explain MX routing.",
    subcommands = {SendCommand.class, QueueCommand.class, MxCommand.class, CommandLine.HelpCommand.class})
public final class RelaymailCommand implements Runnable {
  /** sendmail's EX_USAGE. */
  static final int EX_USAGE = 64;
  /** sendmail's EX_DATAERR: the input message is bad. */
  static final int EX_DATAERR = 65;
  /** sendmail's EX_UNAVAILABLE: a recipient failed permanently. */
  static final int EX_UNAVAILABLE = 69;
  /** sendmail's EX_SOFTWARE: anything unexpected. */
  static final int EX_SOFTWARE = 70;
  /** sendmail's EX_TEMPFAIL: still deferred, try again later. */
  static final int EX_TEMPFAIL = 75;

  @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
      description = "print stack traces on errors and the relay's log (INFO) on standard error")
  boolean verbose;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(new CommandLine(this), "name a command: send, queue or mx (see --help)");
  }

  /**
   * Builds the command line with the error handling of the tool: one line per error unless
   * {@code --verbose}.
   *
   * @return the configured command line
   */
  public static CommandLine commandLine() {
    CommandLine cmd = new CommandLine(new RelaymailCommand());
    cmd.setExecutionExceptionHandler((ex, line, parseResult) -> {
      boolean verbose = parseResult.expandedArgs().contains("-v") || parseResult.expandedArgs().contains("--verbose");
      PrintWriter err = line.getErr();
      if (verbose) {
        ex.printStackTrace(err);
      }
      err.println("relaymail: " + oneLine(ex));
      err.flush();
      return ex instanceof CliException ce ? ce.exitCode : EX_SOFTWARE;
    });
    return cmd;
  }

  static String oneLine(Throwable ex) {
    if (ex instanceof CliException) {
      return ex.getMessage();
    }
    String m = ex.getMessage();
    String text = (m == null || m.isBlank()) ? ex.getClass().getSimpleName() : m;
    if (ex.getCause() != null && ex.getCause().getMessage() != null && !text.contains(ex.getCause().getMessage())) {
      text += ": " + ex.getCause().getMessage();
    }
    return text.replace('\n', ' ').replace('\r', ' ');
  }

  /**
   * Runs the tool.
   *
   * @param args the arguments
   */
  public static void main(String[] args) {
    for (String a : args) {
      if (a.equals("-v") || a.equals("--verbose")) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
      }
    }
    System.exit(commandLine().execute(args));
  }

  /** An error with a message fit for the user and an exit code. */
  static final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int exitCode;

    CliException(int exitCode, String message) {
      super(message);
      this.exitCode = exitCode;
    }

    CliException(int exitCode, String message, Throwable cause) {
      super(message, cause);
      this.exitCode = exitCode;
    }
  }
}
