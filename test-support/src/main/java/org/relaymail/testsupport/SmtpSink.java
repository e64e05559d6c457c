package org.relaymail.testsupport;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Postfix's {@code smtp-sink} (a fast SMTP server that accepts and discards mail) on a loopback
 * port, as a real peer for tests and benchmarks. The number of messages received comes from its
 * {@code -c} counters ({@code sess=N quit=N mesg=N}), which it prints whenever a session ends, a
 * QUIT is executed, or a final "." is received. Run as root it drops to {@code nobody}
 * ({@code -u nobody}). Debian 12's smtp-sink (Postfix 3.7) offers PIPELINING, 8BITMIME, DSN and
 * ENHANCEDSTATUSCODES, not CHUNKING nor SMTPUTF8; it answers 250 to unadvertised SMTPUTF8 and to
 * any AUTH. Thread-safe.
 */
public final class SmtpSink implements AutoCloseable {
  /** The program. */
  public static final Path PROGRAM = Path.of("/usr/sbin/smtp-sink");
  private static final Pattern COUNTERS = Pattern.compile("sess=(\\d+) quit=(\\d+) mesg=(\\d+)");

  private final InetAddress address;
  private final int port;
  private final ExternalProcess process;
  private final Object lock = new Object();
  private long sessions;
  private long messages;

  private SmtpSink(Builder b) throws IOException {
    this.address = b.address;
    this.port = b.port != 0 ? b.port : Loopback.freePort(b.address);
    List<String> cmd = new ArrayList<>(List.of(PROGRAM.toString(), "-c"));
    if (ExternalProcess.isRoot()) {
      cmd.addAll(List.of("-u", "nobody"));
    }
    cmd.addAll(List.of("-h", b.hostname, "-m", Integer.toString(b.maxConcurrency)));
    if (!b.pipelining) {
      cmd.add("-p");
    }
    if (!b.eightBitMime) {
      cmd.add("-8");
    }
    if (!b.dsn) {
      cmd.add("-N");
    }
    if (!b.enhancedStatusCodes) {
      cmd.add("-E");
    }
    if (!b.auth) {
      cmd.add("-a");
    }
    if (!b.esmtp) {
      cmd.add("-e");
    }
    cmd.addAll(List.of("-C", "-F"));
    cmd.addAll(b.extraArgs);
    String host = address instanceof Inet6Address ? "[" + address.getHostAddress() + "]"
        : address.getHostAddress();
    cmd.add(host + ":" + port);
    cmd.add(Integer.toString(b.backlog));
    this.process = new ExternalProcess(cmd, this::onOutput, "smtp-sink-" + port);
    try {
      process.awaitListening(address, port, Duration.ofSeconds(30), "smtp-sink");
    } catch (IOException e) {
      process.stop(Duration.ofSeconds(5));
      throw e;
    }
  }

  private void onOutput(String text) {
    // counters are separated by CR, so one "line" may hold many updates; the last one wins
    Matcher m = COUNTERS.matcher(text);
    long s = -1;
    long n = -1;
    while (m.find()) {
      s = Long.parseLong(m.group(1));
      n = Long.parseLong(m.group(3));
    }
    if (n >= 0) {
      synchronized (lock) {
        sessions = Math.max(sessions, s);
        messages = Math.max(messages, n);
        lock.notifyAll();
      }
    }
  }

  /**
   * Whether smtp-sink can run here.
   *
   * @return true if the program is installed and executable
   */
  public static boolean available() {
    return unavailableReason().isEmpty();
  }

  /**
   * Why smtp-sink cannot run here, for a test's skip message.
   *
   * @return the reason, empty when it is available
   */
  public static Optional<String> unavailableReason() {
    if (!Files.isExecutable(PROGRAM)) {
      return Optional.of(PROGRAM + " is not installed (Debian package postfix)");
    }
    if (!Files.isReadable(Path.of("/proc/net/tcp"))) {
      return Optional.of("/proc/net/tcp is not readable (needed to see when the sink listens)");
    }
    return Optional.empty();
  }

  /**
   * A new builder.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The address the sink listens on.
   *
   * @return the address
   */
  public InetAddress address() {
    return address;
  }

  /**
   * The port.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * Messages received so far (a "." was received). The counter is printed by the sink and read
   * asynchronously, so it may lag the client by a moment; use {@link #awaitMessages}.
   *
   * @return the count
   */
  public long messageCount() {
    synchronized (lock) {
      return messages;
    }
  }

  /**
   * Sessions ended so far.
   *
   * @return the count
   */
  public long sessionCount() {
    synchronized (lock) {
      return sessions;
    }
  }

  /**
   * Waits until at least {@code count} messages were received.
   *
   * @param count the number of messages
   * @param timeout the longest wait
   * @return the count reached
   * @throws AssertionError on timeout, with the count reached
   * @throws InterruptedException if interrupted
   */
  public long awaitMessages(long count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (messages < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("smtp-sink on port " + port + " received " + messages
              + " of " + count + " messages within " + timeout + "; alive="
              + process.process().isAlive() + " output: " + process.outputTail());
        }
        lock.wait(Math.max(1, left / 1_000_000));
      }
      return messages;
    }
  }

  /**
   * The process id, e.g. to measure its CPU use in a benchmark.
   *
   * @return the pid
   */
  public long pid() {
    return process.process().pid();
  }

  /** Stops the sink. Idempotent. */
  @Override
  public void close() {
    process.stop(Duration.ofSeconds(10));
  }

  /** Configures an {@link SmtpSink}. Not thread-safe. */
  public static final class Builder {
    private InetAddress address = Loopback.v4(1);
    private int port;
    private String hostname = "sink.relaymail.test";
    private boolean pipelining = true;
    private boolean eightBitMime = true;
    private boolean dsn = true;
    private boolean enhancedStatusCodes = true;
    private boolean auth;
    private boolean esmtp = true;
    private int maxConcurrency = 256;
    private int backlog = 1000;
    private final List<String> extraArgs = new ArrayList<>();

    private Builder() {}

    /**
     * The loopback address (default 127.0.0.1).
     *
     * @param address a loopback address
     * @return this
     */
    public Builder address(InetAddress address) {
      this.address = Loopback.requireLoopback(address);
      return this;
    }

    /**
     * The port; 0 (default) picks a free one.
     *
     * @param port 0 to 65535
     * @return this
     */
    public Builder port(int port) {
      this.port = Loopback.requirePort(port);
      return this;
    }

    /**
     * The name in the greeting and EHLO reply ({@code -h}).
     *
     * @param hostname the name
     * @return this
     */
    public Builder hostname(String hostname) {
      if (!hostname.matches("[A-Za-z0-9.-]+")) {
        throw new IllegalArgumentException("not a host name: " + hostname);
      }
      this.hostname = hostname;
      return this;
    }

    /**
     * Announce PIPELINING (default true; false adds {@code -p}).
     *
     * @param enabled whether to announce it
     * @return this
     */
    public Builder pipelining(boolean enabled) {
      this.pipelining = enabled;
      return this;
    }

    /**
     * Announce 8BITMIME (default true; false adds {@code -8}).
     *
     * @param enabled whether to announce it
     * @return this
     */
    public Builder eightBitMime(boolean enabled) {
      this.eightBitMime = enabled;
      return this;
    }

    /**
     * Announce DSN (default true; false adds {@code -N}).
     *
     * @param enabled whether to announce it
     * @return this
     */
    public Builder dsn(boolean enabled) {
      this.dsn = enabled;
      return this;
    }

    /**
     * Announce ENHANCEDSTATUSCODES (default true; false adds {@code -E}).
     *
     * @param enabled whether to announce it
     * @return this
     */
    public Builder enhancedStatusCodes(boolean enabled) {
      this.enhancedStatusCodes = enabled;
      return this;
    }

    /**
     * Announce AUTH (default false, {@code -a}; smtp-sink accepts any credentials).
     *
     * @param enabled whether to announce it
     * @return this
     */
    public Builder auth(boolean enabled) {
      this.auth = enabled;
      return this;
    }

    /**
     * Speak ESMTP (default true; false adds {@code -e}).
     *
     * @param enabled whether EHLO works
     * @return this
     */
    public Builder esmtp(boolean enabled) {
      this.esmtp = enabled;
      return this;
    }

    /**
     * Maximum simultaneous connections ({@code -m}, default 256).
     *
     * @param max the limit, at least 1
     * @return this
     */
    public Builder maxConcurrency(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxConcurrency must be at least 1: " + max);
      }
      this.maxConcurrency = max;
      return this;
    }

    /**
     * Further smtp-sink arguments, e.g. {@code "-Q", "RCPT"} (421 and disconnect after RCPT) or
     * {@code "-r", "MAIL"} (4xx for MAIL); see {@code man smtp-sink}.
     *
     * @param args the arguments
     * @return this
     */
    public Builder args(String... args) {
      for (String a : args) {
        extraArgs.add(Objects.requireNonNull(a, "arg"));
      }
      return this;
    }

    /**
     * Starts the sink and waits until it listens.
     *
     * @return the running sink
     * @throws IOException if it cannot start
     * @throws IllegalStateException if smtp-sink is not available
     */
    public SmtpSink start() throws IOException {
      Optional<String> why = unavailableReason();
      if (why.isPresent()) {
        throw new IllegalStateException("smtp-sink unavailable: " + why.get());
      }
      return new SmtpSink(this);
    }
  }
}
