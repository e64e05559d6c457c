package org.relaymail.examples.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.relaymail.client.ConnectionSettings;
import org.relaymail.client.SmtpTimeouts;
import org.relaymail.protocol.Mailbox;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.FileQueueStore;
import org.relaymail.queue.RecipientState;
import org.relaymail.queue.RetryPolicy;
import org.relaymail.relay.DeliveryEvent;
import org.relaymail.relay.DeliveryReport;
import org.relaymail.relay.DnsSettings;
import org.relaymail.relay.OutgoingMessage;
import org.relaymail.relay.RecipientReport;
import org.relaymail.relay.RelayClient;
import org.relaymail.relay.RelayListener;
import org.relaymail.relay.Routing;
import org.relaymail.relay.SendReceipt;
import org.relaymail.testsupport.DnsTestServer;
import org.relaymail.testsupport.Loopback;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.Response;
import org.relaymail.testsupport.Rule;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.relaymail.testsupport.Stage;

/**
 * The whole pipeline on loopback: a DNS server (127.0.0.1) and SMTP receivers on 127.0.0.2 to
 * 127.0.0.6 (healthy, greylisting, rejecting unknown users, slow, and the sender's own MX that
 * receives the bounces), a {@link RelayClient} on a {@link FileQueueStore} in a temporary spool with
 * a retry schedule compressed to seconds, and a mix of messages whose intended end is known in
 * advance: delivered, delivered after greylisting, bounced for an unknown user, bounced for a null
 * MX (RFC 7505), expired because the MX never answers. {@link #run} shows a progress line and a
 * report, and tells whether every message ended as intended.
 *
 * <p>Not thread-safe: one run at a time per instance.
 */
public final class DemoScenario {
  static final String SENDER = "shop@app.example";
  static final String HELO = "relay.demo.example";

  /** Where a recipient's domain leads, and how its mail should end. */
  enum Dest {
    HEALTHY("example.org", 2, "healthy", RecipientState.DELIVERED, null),
    HEALTHY2("example.net", 2, "healthy", RecipientState.DELIVERED, null),
    GREYLIST("greylist.example", 3, "greylisting (450 on the first try)", RecipientState.DELIVERED, null),
    STRICT("strict.example", 4, "rejects unknown users", RecipientState.DELIVERED, null),
    STRICT_UNKNOWN("strict.example", 4, "rejects unknown users", RecipientState.FAILED, FailureClass.UNKNOWN_RECIPIENT),
    SLOW("slow.example", 5, "slow (1 s greeting, 50 ms per message)", RecipientState.DELIVERED, null),
    NULL_MX("nullmx.example", 0, "null MX (accepts no mail)", RecipientState.FAILED, FailureClass.DNS_FAILURE),
    DOWN("down.example", 7, "nothing listening", RecipientState.EXPIRED, FailureClass.CONNECTION_FAILURE);

    final String domain;
    final int host;
    final String receiver;
    final RecipientState end;
    final FailureClass failure;

    Dest(String domain, int host, String receiver, RecipientState end, FailureClass failure) {
      this.domain = domain;
      this.host = host;
      this.receiver = receiver;
      this.end = end;
      this.failure = failure;
    }
  }

  /**
   * What a run found.
   *
   * @param ok every message ended as intended and every bounce arrived
   * @param messages messages queued
   * @param problems descriptions of what did not end as intended (empty when ok)
   * @param bouncesExpected bounces the scenario should produce
   * @param bouncesReceived bounces received by the sender's MX
   * @param sendSeconds time to queue every message
   * @param totalSeconds time until every message and bounce left the queue
   */
  public record Result(boolean ok, int messages, List<String> problems, int bouncesExpected,
      int bouncesReceived, double sendSeconds, double totalSeconds) {}

  private record Planned(int index, List<Mailbox> recipients, Map<Mailbox, Dest> dest) {}

  private final int messageCount;
  private final Duration deadline;
  private final PrintStream out;
  private final boolean tty;

  // live counters (the progress line)
  private final LongAdder queued = new LongAdder();
  private final LongAdder delivered = new LongAdder();
  private final LongAdder deferred = new LongAdder();
  private final LongAdder bounced = new LongAdder();
  private final LongAdder completed = new LongAdder();
  // per destination and reason (the report)
  private final Map<String, Map<DeliveryEvent.Type, LongAdder>> byDomain = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> reasons = new ConcurrentHashMap<>();
  private final Map<String, String> reasonSamples = new ConcurrentHashMap<>();

  /**
   * A scenario.
   *
   * @param messageCount how many messages to send, at least 20
   * @param deadline how long the run may take before it counts as failed
   * @param out where progress and report go
   * @param tty whether {@code out} is a terminal (progress rewrites one line with {@code \r})
   */
  public DemoScenario(int messageCount, Duration deadline, PrintStream out, boolean tty) {
    if (messageCount < 20) {
      throw new IllegalArgumentException("the demo needs at least 20 messages to cover every case: " + messageCount);
    }
    this.messageCount = messageCount;
    this.deadline = deadline;
    this.out = out;
    this.tty = tty;
  }

  /** The destination mix: which case message {@code i} exercises (deterministic). */
  static List<Dest> plan(int i) {
    int k = i % 20;
    return switch (k) {
      case 0, 1, 2, 3, 4 -> List.of(Dest.HEALTHY);
      case 5, 6, 7 -> List.of(Dest.HEALTHY2);
      case 8, 9, 10 -> List.of(Dest.GREYLIST);
      case 11, 12 -> List.of(Dest.STRICT);
      case 13 -> List.of(Dest.STRICT_UNKNOWN);
      case 14 -> List.of(Dest.HEALTHY, Dest.STRICT_UNKNOWN);   // partly delivered, partly bounced
      case 15, 16, 17 -> List.of(Dest.SLOW);
      case 18 -> i % 40 == 18 ? List.of(Dest.NULL_MX) : List.of(Dest.HEALTHY, Dest.GREYLIST);
      default -> i % 100 == 19 ? List.of(Dest.DOWN) : List.of(Dest.HEALTHY2);
    };
  }

  /**
   * Runs the scenario: starts the peers, sends, waits, reports, stops everything.
   *
   * @return what happened
   * @throws IOException if a peer or the spool cannot be started
   * @throws InterruptedException if interrupted
   */
  public Result run() throws IOException, InterruptedException {
    Path spool = Files.createTempDirectory("relaymail-demo-spool");
    List<AutoCloseable> closeables = new ArrayList<>();
    try {
      return run(spool, closeables);
    } finally {
      for (int i = closeables.size() - 1; i >= 0; i--) {
        try {
          closeables.get(i).close();
        } catch (Exception e) {
          out.println("warning: closing " + closeables.get(i) + " failed: " + e);
        }
      }
      deleteRecursively(spool);
    }
  }

  private Result run(Path spool, List<AutoCloseable> closeables) throws IOException, InterruptedException {
    DnsTestServer dns = DnsTestServer.start();
    closeables.add(dns);
    int port = Loopback.freePort(Loopback.v4(2));
    Map<Integer, ScriptedSmtpServer> servers = new TreeMap<>();
    servers.put(2, receiver(2, port, "mx.healthy.example", b -> {}));
    servers.put(3, receiver(3, port, "mx.greylist.example", b -> b.greylist(1)));
    servers.put(4, receiver(4, port, "mx.strict.example", b -> b.rule((s, c) ->
        c.stage() == Stage.RCPT && c.path() != null && c.path().startsWith("unknown")
            ? Response.reply(550, "5.1.1 <" + c.path() + ">: Recipient address rejected: User unknown in local recipient table")
            : null)));
    servers.put(5, receiver(5, port, "mx.slow.example", b -> b
        .greeting(Response.delayed(Duration.ofSeconds(1), Response.reply(220, "mx.slow.example ESMTP slow")))
        .rule(Rule.at(Stage.MESSAGE, Response.delayed(Duration.ofMillis(50), Response.reply(250, "2.0.0 Ok: queued slowly"))))));
    servers.put(6, receiver(6, port, "mx.app.example", b -> {}));
    servers.values().forEach(closeables::add);

    dns.mx("example.org", 10, "mx.healthy.example").mx("example.net", 10, "mx.healthy.example")
        .address("mx.healthy.example", "127.0.0.2");
    dns.mx("greylist.example", 10, "mx.greylist.example").address("mx.greylist.example", "127.0.0.3");
    dns.mx("strict.example", 10, "mx.strict.example").address("mx.strict.example", "127.0.0.4");
    dns.mx("slow.example", 10, "mx.slow.example").address("mx.slow.example", "127.0.0.5");
    dns.mx("app.example", 10, "mx.app.example").address("mx.app.example", "127.0.0.6");
    dns.nullMx("nullmx.example");
    dns.mx("down.example", 10, "mx.down.example").address("mx.down.example", "127.0.0.7");

    RetryPolicy retry = RetryPolicy.builder().fixedDelay(Duration.ofSeconds(2)).giveUpAfter(Duration.ofSeconds(12)).build();
    out.printf("relaymail demo: %d messages from %s, relayed by MX on loopback%n", messageCount, SENDER);
    out.println("  DNS 127.0.0.1:" + dns.port() + "; receivers on port " + port + ": 127.0.0.2 healthy, "
        + "127.0.0.3 greylisting, 127.0.0.4 rejects unknown users, 127.0.0.5 slow, 127.0.0.6 the sender's MX; "
        + "127.0.0.7 down");
    out.println("  spool " + spool + " (FileQueueStore); retry every 2 s, give up after 12 s "
        + "(the default is every 15 min, give up after 4 h)");

    FileQueueStore store = FileQueueStore.open(spool);
    closeables.add(store);
    RelayListener listener = new Counting();
    RelayClient relay = RelayClient.builder()
        .store(store)
        .heloName(HELO)
        .dns(DnsSettings.builder().server(dns.socketAddress()).timeout(Duration.ofSeconds(3)).retries(2).build())
        .routing(Routing.builder().mxPort(port).hostFailureTtl(Duration.ofSeconds(1)).build())
        .retryPolicy(retry)
        .connectionSettings(ConnectionSettings.builder()
            .timeouts(SmtpTimeouts.all(Duration.ofSeconds(30)).withConnect(Duration.ofSeconds(3))).build())
        .pollInterval(Duration.ofSeconds(1))
        .closeTimeout(Duration.ofSeconds(10))
        .listener(listener)
        .build();
    closeables.add(relay);

    // plan and send
    List<Planned> plan = new ArrayList<>();
    int bouncesExpected = 0;
    for (int i = 0; i < messageCount; i++) {
      Map<Mailbox, Dest> dest = new LinkedHashMap<>();
      for (Dest d : plan(i)) {
        String local = (d == Dest.STRICT_UNKNOWN ? "unknown" : "user") + i;
        dest.put(Mailbox.parse(local + "@" + d.domain), d);
      }
      if (dest.values().stream().anyMatch(d -> d.end != RecipientState.DELIVERED)) {
        bouncesExpected++;
      }
      plan.add(new Planned(i, List.copyOf(dest.keySet()), dest));
    }
    long start = System.nanoTime();
    AtomicBoolean running = new AtomicBoolean(true);
    Thread progress = new Thread(() -> progressLoop(running, start), "demo-progress");
    progress.setDaemon(true);
    progress.start();

    List<CompletableFuture<DeliveryReport>> outcomes = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    ExecutorService senders = Executors.newFixedThreadPool(8);
    try {
      List<Future<SendReceipt>> receipts = new ArrayList<>();
      for (Planned p : plan) {
        receipts.add(senders.submit(() -> {
          SendReceipt r = relay.send(message(p));
          queued.increment();
          return r;
        }));
      }
      for (Future<SendReceipt> f : receipts) {
        try {
          outcomes.add(f.get().outcome());
        } catch (java.util.concurrent.ExecutionException e) {
          problems.add("send() failed: " + e.getCause());
          outcomes.add(CompletableFuture.failedFuture(e.getCause()));
        }
      }
    } finally {
      senders.shutdown();
    }
    double sendSeconds = (System.nanoTime() - start) / 1e9;

    // wait for every outcome, then for the bounces to leave the queue
    long deadlineNanos = start + deadline.toNanos();
    List<DeliveryReport> reports = new ArrayList<>();
    for (int i = 0; i < outcomes.size(); i++) {
      try {
        long left = Math.max(1, deadlineNanos - System.nanoTime());
        reports.add(outcomes.get(i).get(left, TimeUnit.NANOSECONDS));
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        reports.add(null);
        if (problems.size() < 1000) {
          problems.add("message " + i + ": no final outcome (" + e + ")");
        }
      }
    }
    ScriptedSmtpServer senderMx = servers.get(6);
    List<ReceivedMessage> bounces = awaitBounces(senderMx, bouncesExpected, deadlineNanos);
    awaitEmptyQueue(relay, deadlineNanos);
    double totalSeconds = (System.nanoTime() - start) / 1e9;
    running.set(false);
    progress.join(2000);
    printProgress(start, true);

    // compare every recipient with the plan
    for (Planned p : plan) {
      DeliveryReport r = reports.get(p.index());
      if (r == null) {
        continue;
      }
      for (Mailbox m : p.recipients()) {
        Dest d = p.dest().get(m);
        RecipientReport rr = r.recipient(m).orElse(null);
        if (rr == null) {
          problems.add("message " + p.index() + ": no report for " + m);
        } else if (rr.state() != d.end || (d.failure != null && rr.failureClass().orElse(null) != d.failure)) {
          problems.add("message " + p.index() + ": " + m + " ended " + rr.state() + " "
              + rr.failureClass().map(Enum::name).orElse("") + " " + rr.reply().map(Object::toString).orElse("")
              + ", intended " + d.end + (d.failure != null ? " " + d.failure : ""));
        } else if (d == Dest.GREYLIST && rr.attempts() < 2) {
          problems.add("message " + p.index() + ": " + m + " was delivered without being greylisted first");
        }
      }
    }
    Set<String> bouncedRcpts = ConcurrentHashMap.newKeySet();
    Pattern finalRcpt = Pattern.compile("(?im)^Final-Recipient: *rfc822; *(\\S+)");
    for (ReceivedMessage b : bounces) {
      if (!b.sender().isEmpty() || !b.recipients().equals(List.of(SENDER))) {
        problems.add("a bounce from <" + b.sender() + "> to " + b.recipients() + ", intended <> to " + SENDER);
      }
      Matcher mt = finalRcpt.matcher(b.contentAsString());
      while (mt.find()) {
        bouncedRcpts.add(mt.group(1).toLowerCase(Locale.ROOT));
      }
    }
    long failedRcpts = plan.stream().flatMap(p -> p.dest().values().stream()).filter(d -> d.end != RecipientState.DELIVERED).count();
    if (bounces.size() != bouncesExpected) {
      problems.add(bounces.size() + " bounces reached the sender, intended " + bouncesExpected);
    }
    if (bouncedRcpts.size() != failedRcpts) {
      problems.add("the bounces name " + bouncedRcpts.size() + " failed recipients, intended " + failedRcpts);
    }
    report(plan, servers, bounces.size(), bouncesExpected, sendSeconds, totalSeconds);
    boolean ok = problems.isEmpty();
    if (ok) {
      out.println("RESULT: OK - every message ended as the scenario intends.");
    } else {
      out.println("RESULT: FAILED - " + problems.size() + " message(s) did not end as intended:");
      problems.stream().limit(10).forEach(p -> out.println("  " + p));
    }
    return new Result(ok, messageCount, List.copyOf(problems), bouncesExpected, bounces.size(), sendSeconds, totalSeconds);
  }

  private static ScriptedSmtpServer receiver(int n, int port, String name,
      java.util.function.Consumer<ScriptedSmtpServer.Builder> config) throws IOException {
    ScriptedSmtpServer.Builder b = ScriptedSmtpServer.builder().address(Loopback.v4(n)).port(port).hostname(name);
    config.accept(b);
    return b.start();
  }

  private static OutgoingMessage message(Planned p) {
    OutgoingMessage.Builder b = OutgoingMessage.builder().sender(SENDER);
    p.recipients().forEach(b::recipient);
    String to = String.join(", ", p.recipients().stream().map(m -> "<" + m.address() + ">").toList());
    String text = "From: Demo Shop <" + SENDER + ">\r\n"
        + "To: " + to + "\r\n"
        + "Subject: Order " + p.index() + " confirmed\r\n"
        + "\r\n"
        + "Thank you for your order number " + p.index() + ".\r\n"
        + "This message was relayed by relaymail's demo on loopback.\r\n";
    return b.content(text.getBytes(StandardCharsets.US_ASCII)).build();
  }

  private List<ReceivedMessage> awaitBounces(ScriptedSmtpServer senderMx, int expected, long deadlineNanos)
      throws InterruptedException {
    long left = Math.max(1, deadlineNanos - System.nanoTime());
    try {
      senderMx.awaitMessages(expected, Duration.ofNanos(left));
    } catch (AssertionError | RuntimeException e) {
      // fewer than expected arrived: the comparison below reports it
      out.println();
      out.println("warning: waiting for bounces: " + e.getMessage());
    }
    return senderMx.messages().stream().filter(m -> m.sender().isEmpty()).toList();
  }

  private void awaitEmptyQueue(RelayClient relay, long deadlineNanos) throws IOException, InterruptedException {
    Object lock = new Object();
    while (relay.counts().messages() > 0 && System.nanoTime() < deadlineNanos) {
      synchronized (lock) {
        lock.wait(100); // a bounded wait for the last bounces to be completed in the store
      }
    }
  }

  // ---------------------------------------------------------------- progress and report

  private final class Counting implements RelayListener {
    @Override
    public void onAttempt(DeliveryEvent e) {
      count(e);
    }

    @Override
    public void onBounceDropped(DeliveryEvent e) {
      count(e);
    }

    @Override
    public void onCompleted(DeliveryReport report) {
      if (!report.sender().isNull()) {
        completed.increment();
      }
    }

    private void count(DeliveryEvent e) {
      boolean bounce = e.sender().isNull();
      String key = bounce ? "(bounces to " + e.recipient().domain() + ")" : e.recipient().domain();
      byDomain.computeIfAbsent(key, k -> new ConcurrentHashMap<>())
          .computeIfAbsent(e.type(), t -> new LongAdder()).increment();
      if (!bounce) {
        switch (e.type()) {
          case DELIVERED -> delivered.increment();
          case DEFERRED -> deferred.increment();
          case BOUNCED, EXPIRED -> bounced.increment();
          default -> { }
        }
      }
      e.failureClass().ifPresent(fc -> {
        String reason = String.format("%-8s %-34s %s", e.type().name().toLowerCase(Locale.ROOT), fc.description(),
            e.enhancedStatus().map(Object::toString).orElse(""));
        reasons.computeIfAbsent(reason, r -> new LongAdder()).increment();
        reasonSamples.putIfAbsent(reason, e.reply().map(Object::toString).orElse(""));
      });
    }
  }

  private final AtomicLong lastPlain = new AtomicLong();

  private void progressLoop(AtomicBoolean running, long start) {
    Object lock = new Object();
    while (running.get()) {
      printProgress(start, false);
      synchronized (lock) {
        try {
          lock.wait(tty ? 200 : 1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private synchronized void printProgress(long start, boolean last) {
    double secs = Math.max(0.001, (System.nanoTime() - start) / 1e9);
    long done = completed.sum();
    int width = 24;
    int filled = (int) Math.min(width, done * width / messageCount);
    String bar = "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]";
    String line = String.format("%s queued %d/%d | delivered %d | deferred %d | bounced %d | %.0f msgs/s | %.1f s",
        bar, queued.sum(), messageCount, delivered.sum(), deferred.sum(), bounced.sum(), done / secs, secs);
    if (tty) {
      out.print("\r" + line + (last ? System.lineSeparator() : ""));
      out.flush();
    } else {
      long now = System.nanoTime();
      if (last || now - lastPlain.get() >= TimeUnit.SECONDS.toNanos(2)) {
        lastPlain.set(now);
        out.println(line);
      }
    }
  }

  private void report(List<Planned> plan, Map<Integer, ScriptedSmtpServer> servers, int bouncesReceived,
      int bouncesExpected, double sendSeconds, double totalSeconds) {
    out.println();
    out.println("Per destination (recipient outcomes; a recipient may be deferred several times before it ends):");
    out.printf("  %-24s %-48s %10s %9s %8s %8s %9s%n", "domain", "receiver", "recipients", "delivered", "bounced",
        "expired", "deferrals");
    Map<String, Dest> destOf = new LinkedHashMap<>();
    for (Dest d : Dest.values()) {
      destOf.putIfAbsent(d.domain, d);
    }
    Map<String, Long> rcptsPerDomain = new TreeMap<>();
    for (Planned p : plan) {
      for (Mailbox m : p.recipients()) {
        rcptsPerDomain.merge(m.domain(), 1L, Long::sum);
      }
    }
    List<String> keys = new ArrayList<>(byDomain.keySet());
    keys.sort(Comparator.comparing((String k) -> k.startsWith("(")).thenComparing(k -> k));
    for (String k : keys) {
      Map<DeliveryEvent.Type, LongAdder> m = byDomain.get(k);
      Dest d = destOf.get(k);
      String receiver = d == null ? "127.0.0.6 the sender's MX"
          : (d.host == 0 ? "-" : "127.0.0." + d.host) + " " + d.receiver;
      out.printf("  %-24s %-48s %10s %9d %8d %8d %9d%n", k, receiver,
          rcptsPerDomain.containsKey(k) ? rcptsPerDomain.get(k).toString() : "-",
          get(m, DeliveryEvent.Type.DELIVERED), get(m, DeliveryEvent.Type.BOUNCED), get(m, DeliveryEvent.Type.EXPIRED),
          get(m, DeliveryEvent.Type.DEFERRED));
    }
    out.println();
    out.println("Reasons (classified; count, then a sample reply):");
    new TreeMap<>(reasons).forEach((r, n) ->
        out.printf("  %6d  %s%n          %s%n", n.sum(), r, reasonSamples.getOrDefault(r, "")));
    out.println();
    out.printf("Bounces returned to %s: %d received by mx.app.example (127.0.0.6), %d intended "
        + "(one per message with failed recipients, RFC 3464, null sender).%n", SENDER, bouncesReceived, bouncesExpected);
    StringBuilder recv = new StringBuilder();
    servers.forEach((n, s) -> recv.append(recv.length() == 0 ? "" : ", ").append("127.0.0.").append(n).append(": ")
        .append(s.messages().size()));
    out.println("Messages received per receiver: " + recv);
    out.printf("Throughput: %d messages queued durably in %.2f s (%.0f msgs/s); all final, bounces delivered, "
        + "after %.2f s (%.0f msgs/s end to end, retries and the 12 s expiry included).%n",
        messageCount, sendSeconds, messageCount / sendSeconds, totalSeconds, messageCount / totalSeconds);
  }

  private static long get(Map<DeliveryEvent.Type, LongAdder> m, DeliveryEvent.Type t) {
    LongAdder a = m.get(t);
    return a == null ? 0 : a.sum();
  }

  private static void deleteRecursively(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      System.err.println("warning: could not delete the demo spool " + dir + ": " + e.getMessage());
    }
  }
}
