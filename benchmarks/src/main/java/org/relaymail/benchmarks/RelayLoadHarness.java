package org.relaymail.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.relaymail.client.ConnectionSettings;
import org.relaymail.client.Envelope;
import org.relaymail.client.MessageContent;
import org.relaymail.client.SmtpClient;
import org.relaymail.client.SmtpTimeouts;
import org.relaymail.client.TlsMode;
import org.relaymail.client.TransactionResult;
import org.relaymail.relay.DnsSettings;
import org.relaymail.relay.OutgoingMessage;
import org.relaymail.relay.RelayClient;
import org.relaymail.relay.Routing;
import org.relaymail.relay.Smarthost;
import org.relaymail.relay.TlsPolicy;
import org.relaymail.testsupport.DnsTestServer;
import org.relaymail.testsupport.LatencyProxy;
import org.relaymail.testsupport.Loopback;
import org.relaymail.testsupport.PostfixInstance;
import org.relaymail.testsupport.SmtpSink;

/**
 * End-to-end durable relay benchmark (issue 6): N messages of 10 KB handed to {@code
 * RelayClient.send()} by 8 application threads, queued on a {@code FileQueueStore} on the local
 * disk and delivered (a) through a smarthost route to one {@code smtp-sink}, (b) by MX to 100
 * domains whose MX hosts (from the DNS test server) are 4 {@code smtp-sink} instances; timed from
 * the first {@code send()} until the sinks hold every message. The anchor in the same run: a
 * private Postfix on loopback relaying to one {@code smtp-sink} ({@code relayhost}), fed the same
 * number of 10 KB messages by {@code smtp-source} with 8 sessions, timed until the sink has them.
 * Also in the same run ({@code rtt10}): the relay's smarthost route and the raw pooled {@code
 * SmtpClient} (8 connections each), both through a {@code LatencyProxy} adding 5 ms each way (10 ms
 * round trip) in front of a sink.
 *
 * <p>Usage: {@code java -cp benchmarks.jar org.relaymail.benchmarks.RelayLoadHarness [messages]
 * [runs]}; system properties {@code relay.bench.setups} (default {@code
 * smarthost,mx,postfix,rtt10}), {@code relay.bench.warmup} (relay messages sent once per relay setup
 * before measuring, default 2000), {@code relay.bench.rttMessages} (default 2000), {@code
 * relay.bench.threadcpu} (print CPU per thread group), {@code relay.bench.memory} (diagnosis only:
 * an in-memory store). A program, not thread-safe.
 */
public final class RelayLoadHarness {
  private static final int THREADS = 8;
  /** Connections per route for the relay, and connections of the raw pooled client. */
  private static final int CONNECTIONS = 8;

  private RelayLoadHarness() {}

  /**
   * Runs the benchmark.
   *
   * @param args messages per run (default 10000), runs per setup (default 3)
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    List<Double> smarthost = new ArrayList<>();
    List<Double> mx = new ArrayList<>();
    List<Double> postfix = new ArrayList<>();
    String setups = System.getProperty("relay.bench.setups", "smarthost,mx,postfix,rtt10");
    int warmup = Integer.getInteger("relay.bench.warmup", 2000);
    int rttMessages = Integer.getInteger("relay.bench.rttMessages", 2000);
    Duration oneWay = Duration.ofMillis(5);
    List<Double> rttRelay = new ArrayList<>();
    List<Double> rttRaw = new ArrayList<>();
    if (warmup > 0) {
      // the JIT compiles the relay's paths during the first seconds; Postfix has nothing to warm up
      System.out.printf(Locale.ROOT, "warm-up (not counted): smarthost %.0f msgs/s, mx %.0f msgs/s%n",
          runRelay(warmup, false), runRelay(warmup, true));
    }
    for (int r = 0; r < runs; r++) {
      if (setups.contains("rtt10")) {
        rttRelay.add(runRelay(rttMessages, false, oneWay));
        rttRaw.add(runRawClient(rttMessages, oneWay));
        System.out.printf(Locale.ROOT, "run %d: 10 ms RTT: relay %.0f msgs/s, raw pooled client %.0f msgs/s (%.2f)%n",
            r + 1, rttRelay.get(r), rttRaw.get(r), rttRelay.get(r) / rttRaw.get(r));
      }
      smarthost.add(setups.contains("smarthost") ? runRelay(messages, false) : Double.NaN);
      mx.add(setups.contains("mx") ? runRelay(messages, true) : Double.NaN);
      postfix.add(setups.contains("postfix") && PostfixInstance.available() ? runPostfix(messages) : Double.NaN);
      System.out.printf(Locale.ROOT, "run %d: smarthost %.0f msgs/s, mx-100 %.0f msgs/s, postfix %.0f msgs/s%n",
          r + 1, smarthost.get(r), mx.get(r), postfix.get(r));
    }
    System.out.printf(Locale.ROOT, "relay smarthost  min/median/max %s%n", summary(smarthost));
    System.out.printf(Locale.ROOT, "relay MX 100     min/median/max %s%n", summary(mx));
    System.out.printf(Locale.ROOT, "postfix anchor   min/median/max %s%n", summary(postfix));
    System.out.printf(Locale.ROOT, "ratio to postfix: smarthost %.2f, MX %.2f%n",
        SmtpLoadHarness.median(smarthost) / SmtpLoadHarness.median(postfix),
        SmtpLoadHarness.median(mx) / SmtpLoadHarness.median(postfix));
    if (!rttRelay.isEmpty()) {
      System.out.printf(Locale.ROOT, "10 ms RTT relay  min/median/max %s%n", summary(rttRelay));
      System.out.printf(Locale.ROOT, "10 ms RTT raw    min/median/max %s%n", summary(rttRaw));
      System.out.printf(Locale.ROOT, "ratio relay / raw pooled client at 10 ms RTT (medians): %.2f%n",
          SmtpLoadHarness.median(rttRelay) / SmtpLoadHarness.median(rttRaw));
    }
  }

  static String summary(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(null);
    return String.format(Locale.ROOT, "%.0f / %.0f / %.0f", s.get(0), s.get(s.size() / 2), s.get(s.size() - 1));
  }

  static byte[] body(int size, int i) {
    StringBuilder sb = new StringBuilder("From: <app@example.net>\r\nTo: <user@example.test>\r\nSubject: load "
        + i + "\r\n\r\n");
    while (sb.length() < size - 80) {
      sb.append("0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789\r\n");
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  static double runRelay(int messages, boolean byMx) throws Exception {
    return runRelay(messages, byMx, null);
  }

  /**
   * One relay run; with {@code oneWay} set, the smarthost route goes through a {@link LatencyProxy}
   * adding that delay in each direction in front of the sink.
   */
  static double runRelay(int messages, boolean byMx, Duration oneWay) throws Exception {
    int sinkCount = byMx ? 4 : 1;
    int port = Loopback.freePort(Loopback.v4(2));
    List<SmtpSink> sinks = new ArrayList<>();
    LatencyProxy proxy = null;
    Path spool = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "relay-bench-");
    try (DnsTestServer dns = DnsTestServer.start()) {
      for (int s = 0; s < sinkCount; s++) {
        sinks.add(SmtpSink.builder().address(Loopback.v4(2 + s)).port(port).maxConcurrency(256).start());
      }
      Routing routing;
      if (byMx) {
        for (int d = 0; d < 100; d++) {
          dns.mx("d" + d + ".test", 10, "mx.d" + d + ".test");
          dns.address("mx.d" + d + ".test", "127.0.0." + (2 + d % sinkCount));
        }
        routing = Routing.builder().mxPort(port).mxTls(TlsPolicy.NONE).build();
      } else if (oneWay != null) {
        proxy = LatencyProxy.builder().target(new InetSocketAddress(sinks.get(0).address(), port)).delay(oneWay).start();
        routing = Routing.builder().smarthost(
            Smarthost.of(proxy.address().getHostAddress(), proxy.port()).withTls(TlsPolicy.NONE)).build();
      } else {
        routing = Routing.builder()
            .smarthost(Smarthost.of("127.0.0.2", port).withTls(TlsPolicy.NONE)).build();
      }
      RelayClient.Builder rb = RelayClient.builder();
      if (Boolean.getBoolean("relay.bench.memory")) {
        rb.store(new org.relaymail.queue.InMemoryQueueStore()); // diagnosis only: not durable
      } else {
        rb.spoolDirectory(spool);
      }
      try (RelayClient relay = rb
          .heloName("relay.example.net")
          .dns(DnsSettings.builder().server(new InetSocketAddress(dns.address(), dns.port())).build())
          .routing(routing)
          .connectionLimits(64, CONNECTIONS, 1_000_000)
          .connectionSettings(ConnectionSettings.builder().timeouts(SmtpTimeouts.all(Duration.ofMinutes(2))).build())
          .build()) {
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
          bodies.add(body(10 * 1024, i));
        }
        ExecutorService senders = Executors.newFixedThreadPool(THREADS);
        long start = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          int part = t;
          fs.add(senders.submit(() -> {
            for (int i = part; i < messages; i += THREADS) {
              String rcpt = byMx ? "user" + i + "@d" + (i % 100) + ".test" : "user@example.test";
              relay.send(OutgoingMessage.builder().sender("app@example.net").recipient(rcpt)
                  .content(bodies.get(i % bodies.size())).build());
            }
            if (Boolean.getBoolean("relay.bench.threadcpu")) {
              System.out.printf(Locale.ROOT, "    cpu sender %d %.2f s%n", part,
                  java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() / 1e9);
            }
            return null;
          }));
        }
        for (Future<?> f : fs) {
          f.get();
        }
        senders.shutdown();
        System.out.printf(Locale.ROOT, "  (%s) all %d send() calls returned after %.2f s%n", byMx ? "mx" : "smarthost",
            messages, (System.nanoTime() - start) / 1e9);
        for (int k = 0; k < sinkCount; k++) {
          int expected = 0;
          for (int i = 0; i < messages; i++) {
            if (!byMx || (i % 100) % sinkCount == k) {
              expected++;
            }
          }
          sinks.get(k).awaitMessages(expected, Duration.ofMinutes(10));
        }
        double secs = (System.nanoTime() - start) / 1e9;
        if (Boolean.getBoolean("relay.bench.threadcpu")) {
          printThreadCpu();
        }
        return messages / secs;
      }
    } finally {
      if (proxy != null) {
        proxy.close();
      }
      for (SmtpSink s : sinks) {
        s.close();
      }
      delete(spool);
    }
  }

  /**
   * The raw pooled client of issue 4 ({@link SmtpClient}, {@code CONNECTIONS} connections, every
   * message queued at once with {@code sendAsync}), through a {@link LatencyProxy} adding {@code
   * oneWay} in each direction in front of a fresh sink; timed from the first send until the sink has
   * them all, as the relay runs are.
   */
  static double runRawClient(int messages, Duration oneWay) throws Exception {
    try (SmtpSink sink = SmtpSink.builder().address(Loopback.v4(2)).maxConcurrency(256).start();
        LatencyProxy proxy = LatencyProxy.builder()
            .target(new InetSocketAddress(sink.address(), sink.port())).delay(oneWay).start();
        SmtpClient client = SmtpClient.builder(proxy.address().getHostAddress(), proxy.port())
            .tlsMode(TlsMode.NONE).maxConnections(CONNECTIONS).maxMessagesPerConnection(1_000_000)
            .heloName("client.example.net")
            .settings(ConnectionSettings.builder().timeouts(SmtpTimeouts.all(Duration.ofMinutes(2))).build())
            .build()) {
      MessageContent content = MessageContent.of(body(10 * 1024, 0));
      Envelope env = Envelope.of("app@example.net", "user@example.test");
      long start = System.nanoTime();
      List<CompletableFuture<TransactionResult>> fs = new ArrayList<>(messages);
      for (int i = 0; i < messages; i++) {
        fs.add(client.sendAsync(env, content));
      }
      for (CompletableFuture<TransactionResult> f : fs) {
        if (!f.get(10, TimeUnit.MINUTES).allAccepted()) {
          throw new IllegalStateException("raw client: not accepted: " + f.get());
        }
      }
      if (sink.awaitMessages(messages, Duration.ofMinutes(10)) < messages) {
        throw new IllegalStateException("raw client delivered only " + sink.messageCount());
      }
      return messages / ((System.nanoTime() - start) / 1e9);
    }
  }

  /** CPU seconds per thread-name prefix since the JVM started (diagnosis: where the CPU goes). */
  private static void printThreadCpu() {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    java.util.Map<String, Double> byPrefix = new java.util.TreeMap<>();
    for (java.lang.management.ThreadInfo ti : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (ti == null) {
        continue;
      }
      long ns = mx.getThreadCpuTime(ti.getThreadId());
      String prefix = ti.getThreadName().replaceAll("[-#]?\\d+$", "");
      byPrefix.merge(prefix, ns / 1e9, Double::sum);
    }
    byPrefix.forEach((k, v) -> System.out.printf(Locale.ROOT, "    cpu %-40s %.2f s%n", k, v));
  }

  static double runPostfix(int messages) throws Exception {
    try (SmtpSink sink = SmtpSink.builder().address(Loopback.v4(2)).maxConcurrency(256).start();
        PostfixInstance postfix = PostfixInstance.builder()
            .relayTo(new InetSocketAddress(sink.address(), sink.port())).start()) {
      long start = System.nanoTime();
      Process p = new ProcessBuilder("/usr/sbin/smtp-source", "-c", "-l", "10240",
          "-m", String.valueOf(messages), "-s", String.valueOf(THREADS),
          "-f", "app@example.net", "-t", "user@example.test",
          postfix.address().getHostAddress() + ":" + postfix.port())
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException("smtp-source failed");
      }
      if (sink.awaitMessages(messages, Duration.ofMinutes(10)) < messages) {
        throw new IllegalStateException("postfix relayed only " + sink.messageCount());
      }
      double secs = (System.nanoTime() - start) / 1e9;
      return messages / secs;
    }
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
