package org.relaymail.examples.cli;

import java.io.Console;
import java.io.PrintWriter;
import java.util.Objects;
import java.util.function.Function;
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
  /** sendmail's EX_NOPERM: not allowed (another user's relay). */
  static final int EX_NOPERM = 77;

  @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
      description = "print stack traces on errors and the relay's log (INFO) on standard error")
  boolean verbose;

  /** Where {@code --password-env} and {@code --db-password-env} variables are looked up. */
  final Function<String, String> environment;
  /** Asks for a password; returns null when there is no terminal to ask on. */
  final PasswordPrompt prompt;

  /** A command reading the process environment and asking on the terminal ({@link System#console()}). */
  public RelaymailCommand() {
    this(System::getenv, RelaymailCommand::askOnConsole);
  }

  RelaymailCommand(Function<String, String> environment, PasswordPrompt prompt) {
    this.environment = Objects.requireNonNull(environment, "environment");
    this.prompt = Objects.requireNonNull(prompt, "prompt");
  }

  /** Asks for a password without echo. */
  @FunctionalInterface
  interface PasswordPrompt {
    /**
     * @param question what to ask
     * @return the password, or null when nothing can be asked (no terminal) or nothing was given
     */
    char[] ask(String question);
  }

  private static char[] askOnConsole(String question) {
    Console console = System.console();
    return console == null ? null : console.readPassword("%s", question);
  }

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
    return commandLine(new RelaymailCommand());
  }

  /**
   * The command line with another environment and password prompt (for tests).
   *
   * @param environment looks up environment variables
   * @param prompt asks for a password
   * @return the configured command line
   */
  static CommandLine commandLine(Function<String, String> environment, PasswordPrompt prompt) {
    return commandLine(new RelaymailCommand(environment, prompt));
  }

  private static CommandLine commandLine(RelaymailCommand top) {
    CommandLine cmd = new CommandLine(top);
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
