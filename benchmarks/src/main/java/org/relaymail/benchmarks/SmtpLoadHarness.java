package org.relaymail.benchmarks;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.relaymail.client.ConnectionSettings;
import org.relaymail.client.Envelope;
import org.relaymail.client.MessageContent;
import org.relaymail.client.SmtpClient;
import org.relaymail.client.SmtpTimeouts;
import org.relaymail.client.TlsMode;
import org.relaymail.client.TransactionResult;
import org.relaymail.testsupport.SmtpSink;

/**
 * Load harness (first cut): N messages of 10 KB to Postfix's smtp-sink on loopback, through our
 * {@link SmtpClient} with 1 and 8 connections and through Postfix's own {@code smtp-source}, each
 * run several times against a fresh sink. Prints one line per run and the median per setup.
 *
 * <p>Usage: {@code java -cp benchmarks.jar org.relaymail.benchmarks.SmtpLoadHarness [messages]
 * [runs]}. Not thread-safe (a program).
 */
public final class SmtpLoadHarness {
  private SmtpLoadHarness() {}

  /**
   * Runs the harness.
   *
   * @param args messages per run (default 10000), runs per setup (default 3)
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    byte[] body = message(10 * 1024);
    for (int conns : new int[] {1, 8}) {
      List<Double> ours = new ArrayList<>();
      List<Double> source = new ArrayList<>();
      for (int r = 0; r < runs; r++) {
        ours.add(runOurs(messages, conns, body));
        source.add(runSmtpSource(messages, conns));
      }
      System.out.printf(Locale.ROOT, "connections=%d ours msgs/s %s median %.0f | smtp-source %s"
          + " median %.0f | ratio %.2f%n", conns, fmt(ours), median(ours), fmt(source),
          median(source), median(ours) / median(source));
    }
  }

  static byte[] message(int size) {
    StringBuilder sb = new StringBuilder("From: a@example.test\r\nTo: b@example.test\r\n"
        + "Subject: load\r\n\r\n");
    while (sb.length() < size - 80) {
      sb.append("0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789\r\n");
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  static double runOurs(int messages, int conns, byte[] body) throws Exception {
    try (SmtpSink sink = SmtpSink.builder().maxConcurrency(64).start();
        SmtpClient client = SmtpClient.builder(sink.address().getHostAddress(), sink.port())
            .tlsMode(TlsMode.NONE).maxConnections(conns).maxMessagesPerConnection(1_000_000)
            .settings(ConnectionSettings.builder()
                .timeouts(SmtpTimeouts.all(Duration.ofMinutes(2))).build())
            .build()) {
      MessageContent content = MessageContent.of(body);
      Envelope env = Envelope.of("a@example.test", "b@example.test");
      long start = System.nanoTime();
      List<CompletableFuture<TransactionResult>> fs = new ArrayList<>(messages);
      for (int i = 0; i < messages; i++) {
        fs.add(client.sendAsync(env, content));
      }
      for (CompletableFuture<TransactionResult> f : fs) {
        if (!f.get(5, TimeUnit.MINUTES).allAccepted()) {
          throw new IllegalStateException("not accepted: " + f.get());
        }
      }
      double secs = (System.nanoTime() - start) / 1e9;
      return messages / secs;
    }
  }

  static double runSmtpSource(int messages, int conns) throws Exception {
    try (SmtpSink sink = SmtpSink.builder().maxConcurrency(64).start()) {
      long start = System.nanoTime();
      Process p = new ProcessBuilder("/usr/sbin/smtp-source", "-c", "-l", "10240",
          "-m", String.valueOf(messages), "-s", String.valueOf(conns),
          "-f", "a@example.test", "-t", "b@example.test",
          sink.address().getHostAddress() + ":" + sink.port())
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException("smtp-source failed");
      }
      double secs = (System.nanoTime() - start) / 1e9;
      return messages / secs;
    }
  }

  static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(null);
    return s.get(s.size() / 2);
  }

  static String fmt(List<Double> xs) {
    List<String> out = new ArrayList<>();
    for (double x : xs) {
      out.add(String.format(Locale.ROOT, "%.0f", x));
    }
    return out.toString();
  }
}
