package org.relaymail.benchmarks;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.SocketFactory;
import jakarta.mail.Address;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.relaymail.client.ConnectionSettings;
import org.relaymail.client.Envelope;
import org.relaymail.client.MessageContent;
import org.relaymail.client.SmtpClient;
import org.relaymail.client.SmtpTimeouts;
import org.relaymail.client.TlsMode;
import org.relaymail.client.TransactionResult;

/**
 * The measured client side of {@link ClientBenchmark}, run in its own JVM (pinned to a CPU by the
 * caller with {@code taskset}): sends a warm-up batch, then the measured batch, and prints one
 * {@code RESULT} line with msgs/s, the sink's CPU share over the measured interval, the peak heap
 * and the allocation per message.
 *
 * <p>Usage: {@code ClientLoadRun <ours|ours-w8|ours-w16|ours-noquickack|angus|angus-nodelay> <host> <port> <connections>
 * <messages> <warmup> <sinkPid>}. A program; not thread-safe.
 */
public final class ClientLoadRun {
  private static final String FROM = "a@example.test";
  private static final String TO = "b@example.test";

  private ClientLoadRun() {}

  /**
   * Runs one measurement.
   *
   * @param args see the class description
   * @throws Exception on failure (the caller sees a non-zero exit)
   */
  public static void main(String[] args) throws Exception {
    String kind = args[0];
    String host = args[1];
    int port = Integer.parseInt(args[2]);
    int conns = Integer.parseInt(args[3]);
    int messages = Integer.parseInt(args[4]);
    int warmup = Integer.parseInt(args[5]);
    long sinkPid = Long.parseLong(args[6]);
    byte[] body = message(10 * 1024);
    Sender sender =
        switch (kind) {
          case "ours" -> new Ours(host, port, conns, body, 0);
          case "ours-w8" -> new Ours(host, port, conns, body, 8);
          case "ours-w16" -> new Ours(host, port, conns, body, 16);
          case "ours-noquickack" -> {
            // before SmtpTransport is loaded: for comparison only
            System.setProperty("relaymail.noQuickAck", "true");
            yield new Ours(host, port, conns, body, 0);
          }
          case "angus" -> new Angus(host, port, conns, body, false);
          case "angus-nodelay" -> new Angus(host, port, conns, body, true);
          default -> throw new IllegalArgumentException("unknown client kind: " + kind);
        };
    try {
      sender.send(warmup);
      System.gc();
      List<MemoryPoolMXBean> heap = new ArrayList<>();
      for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
        if (p.getType() == MemoryType.HEAP) {
          p.resetPeakUsage();
          heap.add(p);
        }
      }
      com.sun.management.ThreadMXBean threads =
          (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      long alloc0 = threads.getTotalThreadAllocatedBytes();
      long cpu0 = SinkCpu.ticks(sinkPid);
      long t0 = System.nanoTime();
      sender.send(messages);
      long t1 = System.nanoTime();
      long cpu1 = SinkCpu.ticks(sinkPid);
      long alloc1 = threads.getTotalThreadAllocatedBytes();
      long peak = 0;
      for (MemoryPoolMXBean p : heap) {
        peak += p.getPeakUsage().getUsed();
      }
      double secs = (t1 - t0) / 1e9;
      System.out.printf(Locale.ROOT,
          "RESULT rate=%.1f secs=%.3f sinkcpu=%.3f peakheap=%d allocpermsg=%d%n",
          messages / secs, secs, SinkCpu.share(cpu1 - cpu0, secs), peak,
          (alloc1 - alloc0) / messages);
    } finally {
      sender.close();
    }
  }

  static byte[] message(int size) {
    StringBuilder sb = new StringBuilder("From: a@example.test\r\nTo: b@example.test\r\n"
        + "Subject: load\r\nMessage-ID: <load@example.test>\r\n\r\n");
    String line = "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789\r\n";
    while (sb.length() + line.length() <= size) {
      sb.append(line);
    }
    while (sb.length() < size - 2) {
      sb.append('x');
    }
    sb.append("\r\n");
    return sb.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** One client under test. */
  private interface Sender extends AutoCloseable {
    void send(int messages) throws Exception;

    @Override
    void close() throws Exception;
  }

  /** relaymail's {@link SmtpClient}: every message queued at once, up to {@code conns} connections. */
  private static final class Ours implements Sender {
    private final SmtpClient client;
    private final Envelope env = Envelope.of(FROM, TO);
    private final MessageContent content;

    /** @param window the pipelining window, or 0 for the default (8) */
    Ours(String host, int port, int conns, byte[] body, int window) {
      content = MessageContent.of(body);
      ConnectionSettings.Builder settings =
          ConnectionSettings.builder().timeouts(SmtpTimeouts.all(Duration.ofMinutes(2)));
      if (window > 0) {
        settings.pipeliningWindow(window);
      }
      client = SmtpClient.builder(host, port)
          .tlsMode(TlsMode.NONE).maxConnections(conns).maxMessagesPerConnection(1_000_000)
          .settings(settings.build())
          .build();
    }

    @Override
    public void send(int messages) throws Exception {
      List<CompletableFuture<TransactionResult>> fs = new ArrayList<>(messages);
      for (int i = 0; i < messages; i++) {
        fs.add(client.sendAsync(env, content));
      }
      for (CompletableFuture<TransactionResult> f : fs) {
        TransactionResult r = f.get(10, TimeUnit.MINUTES);
        if (!r.allAccepted()) {
          throw new IllegalStateException("not accepted: " + r);
        }
      }
    }

    @Override
    public void close() {
      client.close();
    }
  }

  /**
   * Eclipse Angus Mail: one {@link SMTPTransport} per thread, connected once and reused, sending a
   * {@link MimeMessage} parsed once from the same bytes (so it writes them back unchanged).
   */
  private static final class Angus implements Sender {
    private final List<SMTPTransport> transports = new ArrayList<>();
    private final List<MimeMessage> msgs = new ArrayList<>();
    private final Address[] rcpt;

    Angus(String host, int port, int conns, byte[] body, boolean noDelay) throws Exception {
      Properties props = new Properties();
      props.put("mail.smtp.host", host);
      props.put("mail.smtp.port", Integer.toString(port));
      props.put("mail.smtp.from", FROM);
      props.put("mail.smtp.localhost", "client.example.test");
      props.put("mail.smtp.connectiontimeout", "120000");
      props.put("mail.smtp.timeout", "120000");
      if (noDelay) {
        props.put("mail.smtp.socketFactory", new NoDelaySocketFactory());
        props.put("mail.smtp.socketFactory.fallback", "false");
      }
      Session session = Session.getInstance(props);
      rcpt = new Address[] {new InternetAddress(TO)};
      for (int i = 0; i < conns; i++) {
        SMTPTransport t = (SMTPTransport) session.getTransport("smtp");
        t.connect();
        transports.add(t);
        msgs.add(new MimeMessage(session, new ByteArrayInputStream(body)));
      }
    }

    @Override
    public void send(int messages) throws Exception {
      AtomicInteger left = new AtomicInteger(messages);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      CountDownLatch done = new CountDownLatch(transports.size());
      for (int i = 0; i < transports.size(); i++) {
        SMTPTransport t = transports.get(i);
        MimeMessage m = msgs.get(i);
        Thread th = new Thread(() -> {
          try {
            while (left.getAndDecrement() > 0) {
              t.sendMessage(m, rcpt);
            }
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          } finally {
            done.countDown();
          }
        }, "angus-" + i);
        th.start();
      }
      if (!done.await(30, TimeUnit.MINUTES)) {
        throw new IllegalStateException("Angus senders did not finish");
      }
      if (failure.get() != null) {
        throw new IllegalStateException("Angus failed", failure.get());
      }
    }

    @Override
    public void close() throws Exception {
      for (SMTPTransport t : transports) {
        t.close();
      }
    }
  }

  /** Plain sockets with {@code TCP_NODELAY} set: how Angus is told to turn Nagle's algorithm off. */
  static final class NoDelaySocketFactory extends SocketFactory {
    private static Socket noDelay(Socket s) throws IOException {
      s.setTcpNoDelay(true);
      return s;
    }

    @Override
    public Socket createSocket() throws IOException {
      return noDelay(new Socket());
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      Socket s = createSocket();
      s.connect(new InetSocketAddress(host, port));
      return s;
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
        throws IOException {
      Socket s = createSocket();
      s.bind(new InetSocketAddress(localHost, localPort));
      s.connect(new InetSocketAddress(host, port));
      return s;
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      Socket s = createSocket();
      s.connect(new InetSocketAddress(host, port));
      return s;
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress,
        int localPort) throws IOException {
      Socket s = createSocket();
      s.bind(new InetSocketAddress(localAddress, localPort));
      s.connect(new InetSocketAddress(address, port));
      return s;
    }
  }

  /** CPU time of a process tree from {@code /proc/<pid>/stat} (Linux), in clock ticks. */
  static final class SinkCpu {
    private static final double TICKS_PER_SECOND = 100.0;

    private SinkCpu() {}

    /**
     * @param pid the root (smtp-sink, or Postfix's master), or a negative value for none
     * @return utime+stime of the root and its live descendants, plus the root's reaped children
     */
    static long ticks(long pid) {
      if (pid < 0) {
        return 0;
      }
      long sum = read(pid, true);
      for (ProcessHandle d : ProcessHandle.of(pid).map(h -> h.descendants().toList())
          .orElse(List.of())) {
        sum += read(d.pid(), false);
      }
      return sum;
    }

    static double share(long ticks, double secs) {
      return ticks / TICKS_PER_SECOND / secs;
    }

    private static long read(long pid, boolean withChildren) {
      try {
        String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        // after the comm field: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
        long t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        if (withChildren) {
          t += Long.parseLong(f[13]) + Long.parseLong(f[14]);
        }
        return t;
      } catch (IOException | RuntimeException e) {
        return 0; // the process ended between listing and reading: its time is in its parent's
      }
    }
  }
}
