package org.relaymail.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.relaymail.testsupport.LatencyProxy;
import org.relaymail.testsupport.PostfixInstance;
import org.relaymail.testsupport.SmtpSink;

/**
 * The smtp-client benchmark of issue 4: 10 KB messages, 1 recipient, with 1 and 8 connections,
 * relaymail's {@code SmtpClient} against Eclipse Angus Mail (with Nagle's algorithm on, its
 * default, and with {@code TCP_NODELAY} through a socket factory) and Postfix's {@code
 * smtp-source}, against Postfix's {@code smtp-sink} (PIPELINING, no CHUNKING) and a private Postfix
 * {@code smtpd} with the discard transport (CHUNKING), each directly and through a {@link
 * LatencyProxy} adding 5 ms each way. Runs of the clients are interleaved; each JVM client runs in
 * its own JVM pinned to CPU 0 ({@code taskset -c 0}), the sinks are pinned to CPU 1, and this
 * orchestrating JVM (the latency proxy, the reader of Postfix's log) pins itself to CPU 0 too, so
 * that the sink's CPU serves the sink alone and a sink-bound run measures the sink's own ceiling.
 *
 * <p>Usage (run with {@code -Djava.io.tmpdir=/dev/shm} so Postfix's queue is on tmpfs): {@code
 * ClientBenchmark [--runs N] [--scale F] [--only SUBSTRING]...}; see {@code benchmarks/RESULTS.md}.
 * A program; not thread-safe.
 */
public final class ClientBenchmark {
  private static final String JAVA =
      Path.of(System.getProperty("java.home"), "bin", "java").toString();
  private static final boolean PIN = Files.isExecutable(Path.of("/usr/bin/taskset"));
  private static final String CLIENT_CPU = "0";
  private static final String SINK_CPU = "1";

  private ClientBenchmark() {}

  private record Scenario(String sink, int rttMs, int conns) {
    String name() {
      return sink + " rtt=" + rttMs + "ms conns=" + conns;
    }
  }

  /**
   * main.cf settings of the Postfix discard sink, the same for every client: long-lived daemons
   * ({@code max_use}: the default 100 re-executes every cleanup and discard process each 100
   * messages) and no rewriting or checks in cleanup. About 20 % more messages per sink CPU second;
   * {@code -Dbench.postfix.mainCf=} (empty) measures the stock sink.
   */
  static final String SINK_TUNING = "max_use=100000;receive_override_options=no_unknown_recipient_checks,"
      + "no_header_body_checks,no_milters,no_address_mappings";

  private record Run(double rate, double sinkCpu, long peakHeap, long allocPerMsg) {}

  /**
   * Runs the benchmark and prints per-run lines and a Markdown summary.
   *
   * @param args {@code --runs N} (default 5), {@code --scale F} (message counts times F, for a
   *     quick check), {@code --only S} (scenarios whose name contains S; repeatable), {@code
   *     --clients a,b} (default {@code ours,angus-nodelay,angus,smtp-source}; also {@code
   *     ours-noquickack}, {@code ours-w8} (the window before it became 16) and {@code ours-w16})
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    int runs = 5;
    double scale = 1.0;
    List<String> only = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--scale" -> scale = Double.parseDouble(args[++i]);
        case "--only" -> only.add(args[++i]);
        case "--clients" -> clientList = List.of(args[++i].split(","));
        default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
      }
    }
    List<Scenario> scenarios = new ArrayList<>();
    for (String sink : List.of("smtp-sink", "postfix")) {
      for (int rtt : new int[] {0, 10}) {
        for (int conns : new int[] {1, 8}) {
          Scenario s = new Scenario(sink, rtt, conns);
          if (only.isEmpty() || only.stream().anyMatch(o -> s.name().contains(o))) {
            scenarios.add(s);
          }
        }
      }
    }
    if (PIN) {
      // the proxy and the log reader share the client's CPU, not the sink's
      new ProcessBuilder("taskset", "-a", "-cp", CLIENT_CPU, Long.toString(ProcessHandle.current().pid()))
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
          .waitFor(30, TimeUnit.SECONDS);
    }
    System.out.printf(Locale.ROOT, "# %s, %d CPUs, pinning %s, loadavg %s%n",
        System.getProperty("java.vm.version"), Runtime.getRuntime().availableProcessors(),
        PIN ? "client and orchestrator (proxy, log reader) cpu " + CLIENT_CPU + ", sink cpu " + SINK_CPU : "off",
        loadavg());
    StringBuilder summary = new StringBuilder();
    for (Scenario s : scenarios) {
      summary.append(runScenario(s, runs, scale));
    }
    System.out.println();
    System.out.println("| sink | RTT | conns | client | msgs/run | msgs/s min | median | max"
        + " | sink CPU (median) | peak heap MB | alloc/msg KB | ours / this (median) |");
    System.out.println("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    System.out.print(summary);
    System.out.printf(Locale.ROOT, "# done, loadavg %s%n", loadavg());
  }

  private static List<String> clientList =
      List.of("ours", "angus-nodelay", "angus", "smtp-source");

  private static List<String> clients(Scenario s) {
    return clientList;
  }

  private static int messages(Scenario s, String client, double scale) {
    int n;
    boolean ours = client.startsWith("ours");
    if (s.rttMs == 0) {
      n = client.equals("angus") ? (s.conns == 1 ? 300 : 2000) : 10_000;
    } else if (ours) {
      n = s.sink.equals("smtp-sink") && s.conns == 1 ? 2000 : 10_000;
    } else {
      n = s.conns == 1 ? 300 : 2000;
    }
    return Math.max(20, (int) Math.round(n * scale));
  }

  private static String runScenario(Scenario s, int runs, double scale) throws Exception {
    System.out.printf(Locale.ROOT, "## %s (loadavg %s)%n", s.name(), loadavg());
    Map<String, List<Run>> results = new LinkedHashMap<>();
    AutoCloseable sink = null;
    LatencyProxy proxy = null;
    try {
      InetAddress addr;
      int port;
      long pid;
      PostfixInstance postfix = null;
      if (s.sink.equals("smtp-sink")) {
        SmtpSink k = SmtpSink.builder().maxConcurrency(64).start();
        sink = k;
        addr = k.address();
        port = k.port();
        pid = k.pid();
      } else {
        PostfixInstance.Builder pb = PostfixInstance.builder();
        for (String kv : System.getProperty("bench.postfix.mainCf", SINK_TUNING).split(";")) {
          if (!kv.isBlank()) {
            pb.mainCf(kv.substring(0, kv.indexOf('=')).trim(), kv.substring(kv.indexOf('=') + 1).trim());
          }
        }
        postfix = pb.start();
        sink = postfix;
        addr = postfix.address();
        port = postfix.port();
        pid = postfix.pid();
        System.out.println("# postfix queue in " + postfix.directory());
      }
      pin(pid);
      if (s.rttMs > 0) {
        proxy = LatencyProxy.builder().target(new InetSocketAddress(addr, port))
            .delay(Duration.ofMillis(s.rttMs / 2)).start();
        addr = proxy.address();
        port = proxy.port();
      }
      long expected = 0;
      for (int r = 0; r < runs; r++) {
        for (String client : clients(s)) {
          int n = messages(s, client, scale);
          int warmup = client.equals("smtp-source") ? 0 : Math.min(2000, Math.max(20, n / 5));
          Run run = client.equals("smtp-source")
              ? runSmtpSource(addr, port, s.conns, n, pid)
              : runJvm(client, addr, port, s.conns, n, warmup, pid);
          expected += n + warmup;
          if (postfix != null) {
            // let the discard backlog drain so it does not weigh on the next run
            postfix.awaitDelivered(expected, Duration.ofMinutes(5));
          }
          results.computeIfAbsent(client, c -> new ArrayList<>()).add(run);
          System.out.printf(Locale.ROOT,
              "run %d %-14s n=%5d %8.1f msgs/s  sink cpu %4.0f%%  peak heap %5.1f MB"
                  + "  alloc/msg %6.1f KB%n",
              r + 1, client, n, run.rate, run.sinkCpu * 100, run.peakHeap / 1e6,
              run.allocPerMsg / 1024.0);
        }
      }
    } finally {
      if (proxy != null) {
        proxy.close();
      }
      if (sink != null) {
        sink.close();
      }
    }
    StringBuilder sb = new StringBuilder();
    double oursMedian = median(results.get("ours"), Run::rate);
    for (Map.Entry<String, List<Run>> e : results.entrySet()) {
      List<Run> rs = e.getValue();
      boolean jvm = !e.getKey().equals("smtp-source");
      double med = median(rs, Run::rate);
      sb.append(String.format(Locale.ROOT,
          "| %s | %d ms | %d | %s | %d | %.0f | **%.0f** | %.0f | %.0f%% | %s | %s | %s |%n",
          s.sink, s.rttMs, s.conns, e.getKey(), messages(s, e.getKey(), scale),
          rs.stream().mapToDouble(Run::rate).min().orElse(0), med,
          rs.stream().mapToDouble(Run::rate).max().orElse(0),
          median(rs, Run::sinkCpu) * 100,
          jvm ? String.format(Locale.ROOT, "%.0f", median(rs, r -> (double) r.peakHeap) / 1e6)
              : "-",
          jvm ? String.format(Locale.ROOT, "%.1f", median(rs, r -> (double) r.allocPerMsg) / 1024)
              : "-",
          e.getKey().startsWith("ours") ? "" : ratios(results.get("ours"), rs, oursMedian / med)));
    }
    System.out.print(sb);
    return sb.toString();
  }

  /** The ratio of medians, and the range of the ratios of the same run's (interleaved) pairs. */
  private static String ratios(List<Run> ours, List<Run> other, double ofMedians) {
    if (ours == null) {
      return "";
    }
    double lo = Double.MAX_VALUE;
    double hi = 0;
    for (int i = 0; i < Math.min(ours.size(), other.size()); i++) {
      double q = ours.get(i).rate / other.get(i).rate;
      lo = Math.min(lo, q);
      hi = Math.max(hi, q);
    }
    return String.format(Locale.ROOT, "%.2fx (runs %.2f-%.2f)", ofMedians, lo, hi);
  }

  private static void pin(long pid) throws Exception {
    if (!PIN) {
      return;
    }
    Process p = new ProcessBuilder("taskset", "-a", "-cp", SINK_CPU, Long.toString(pid))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    p.waitFor(30, TimeUnit.SECONDS);
    for (ProcessHandle d : ProcessHandle.of(pid).map(h -> h.descendants().toList())
        .orElse(List.of())) {
      new ProcessBuilder("taskset", "-a", "-cp", SINK_CPU, Long.toString(d.pid()))
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
          .waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static List<String> pinned(List<String> cmd) {
    if (!PIN) {
      return cmd;
    }
    List<String> c = new ArrayList<>(List.of("taskset", "-c", CLIENT_CPU));
    c.addAll(cmd);
    return c;
  }

  private static Run runJvm(String client, InetAddress addr, int port, int conns, int n,
      int warmup, long sinkPid) throws Exception {
    List<String> cmd = pinned(List.of(JAVA, "-Xmx256m", "-XX:+UseSerialGC",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp", System.getProperty("java.class.path"), ClientLoadRun.class.getName(), client,
        addr.getHostAddress(), Integer.toString(port), Integer.toString(conns),
        Integer.toString(n), Integer.toString(warmup), Long.toString(sinkPid)));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String result = null;
    List<String> out = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("RESULT ")) {
          result = line;
        } else if (out.size() < 50) {
          out.add(line);
        }
      }
    }
    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0 || result == null) {
      p.destroyForcibly();
      throw new IllegalStateException(client + " run failed: " + String.join("\n", out));
    }
    Map<String, String> kv = new LinkedHashMap<>();
    for (String f : result.substring(7).split(" ")) {
      int eq = f.indexOf('=');
      kv.put(f.substring(0, eq), f.substring(eq + 1));
    }
    return new Run(Double.parseDouble(kv.get("rate")), Double.parseDouble(kv.get("sinkcpu")),
        Long.parseLong(kv.get("peakheap")), Long.parseLong(kv.get("allocpermsg")));
  }

  private static Run runSmtpSource(InetAddress addr, int port, int conns, int n, long sinkPid)
      throws Exception {
    List<String> cmd = pinned(List.of("/usr/sbin/smtp-source", "-d", "-s",
        Integer.toString(conns), "-m", Integer.toString(n), "-l", "10240",
        "-f", "a@example.test", "-t", "b@example.test",
        addr.getHostAddress() + ":" + port));
    long cpu0 = ClientLoadRun.SinkCpu.ticks(sinkPid);
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException("smtp-source failed: "
          + new String(out, StandardCharsets.UTF_8));
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    long cpu1 = ClientLoadRun.SinkCpu.ticks(sinkPid);
    return new Run(n / secs, ClientLoadRun.SinkCpu.share(cpu1 - cpu0, secs), 0, 0);
  }

  private interface Metric {
    double of(Run r);
  }

  private static double median(List<Run> rs, Metric m) {
    if (rs == null || rs.isEmpty()) {
      return Double.NaN;
    }
    List<Double> xs = new ArrayList<>();
    for (Run r : rs) {
      xs.add(m.of(r));
    }
    xs.sort(null);
    int k = xs.size();
    return k % 2 == 1 ? xs.get(k / 2) : (xs.get(k / 2 - 1) + xs.get(k / 2)) / 2;
  }

  private static String loadavg() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "?";
    }
  }
}
