package org.relaymail.examples.demo;

import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The README's first command: runs {@link DemoScenario} and exits 0 only if every message ended
 * as the scenario intends.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Relays messages by MX to SMTP receivers on loopback and reports what happened.")
public final class Demo implements Callable<Integer> {
  @Option(names = {"-n", "--messages"}, defaultValue = "3000", description = "messages to send (default ${DEFAULT-VALUE})")
  int messages;

  @Option(names = "--timeout", defaultValue = "PT5M", description = "the longest the run may take (ISO-8601, default ${DEFAULT-VALUE})")
  Duration timeout;

  @Override
  public Integer call() throws Exception {
    DemoScenario.Result r = new DemoScenario(messages, timeout, System.out, System.console() != null).run();
    return r.ok() ? 0 : 1;
  }

  /**
   * Runs the demo.
   *
   * @param args {@code --messages N}, {@code --timeout PT5M}
   */
  public static void main(String[] args) {
    int code = new CommandLine(new Demo()).execute(args);
    System.out.flush();
    System.exit(code);
  }
}
