package org.relaymail.testsupport;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private Postfix {@code smtpd} on a loopback port for tests and benchmarks: its own
 * {@code config_directory}, {@code queue_directory} and {@code data_directory} in a temporary
 * directory, {@code inet_interfaces = loopback-only}, {@code compatibility_level = 3.6},
 * {@code smtputf8_enable = yes}, {@code smtpd_forbid_unauth_pipelining = yes},
 * {@code in_flow_delay = 0}; CHUNKING and SMTPUTF8 offered; optionally STARTTLS with a
 * {@link TestCertificate}. (SASL AUTH is not configured: on Debian 12 the private smtpd ignored
 * {@code cyrus_sasl_config_path} and looked for {@code /etc/sasldb2}; use the
 * {@link ScriptedSmtpServer} or GreenMail for AUTH.) Every recipient goes
 * to the {@code discard} transport, or, with {@link Builder#relayTo}, to a relay host (e.g. an
 * {@link SmtpSink}).
 *
 * <p>How it runs (as root): {@code postfix -c DIR check} creates the queue directories with
 * their owners ({@code postfix}, group {@code postdrop}), the data directory is owned by
 * {@code postfix}, and {@code master -c DIR -d} runs in the foreground as a child of the JVM,
 * logging to its standard output ({@code maillog_file = /dev/stdout}, through {@code postlogd});
 * {@link #close()} sends it SIGTERM and deletes the directory. Delivery results are counted from
 * that log ({@code status=sent}). Thread-safe.
 */
public final class PostfixInstance implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PostfixInstance.class);
  /** Postfix's {@code postfix} command. */
  public static final Path POSTFIX = Path.of("/usr/sbin/postfix");
  /** Postfix's {@code master} daemon. */
  public static final Path MASTER = Path.of("/usr/lib/postfix/sbin/master");
  private static final Pattern STATUS = Pattern.compile(" status=(\\w+)");

  private final InetAddress address;
  private final int port;
  private final Path dir;
  private final ExternalProcess master;
  private final Object lock = new Object();
  private final Map<String, Long> statusCounts = new LinkedHashMap<>();

  private PostfixInstance(Builder b) throws IOException {
    this.address = b.address;
    Path root = Files.createTempDirectory("relaymail-postfix");
    this.dir = root;
    ExternalProcess started = null;
    int chosenPort = b.port;
    try {
      Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path etc = Files.createDirectories(root.resolve("etc"));
      Path queue = Files.createDirectories(root.resolve("queue"));
      Path data = Files.createDirectories(root.resolve("data"));
      UserPrincipalLookupService users = root.getFileSystem().getUserPrincipalLookupService();
      Files.setOwner(data, users.lookupPrincipalByName("postfix"));
      chosenPort = b.port != 0 ? b.port : Loopback.freePort(b.address);
      Map<String, String> main = new LinkedHashMap<>();
      main.put("compatibility_level", "3.6");
      main.put("queue_directory", queue.toString());
      main.put("data_directory", data.toString());
      main.put("mail_owner", "postfix");
      main.put("setgid_group", "postdrop");
      main.put("myhostname", b.hostname);
      main.put("mydomain", "relaymail.test");
      main.put("mydestination", "");
      main.put("inet_interfaces", "loopback-only");
      main.put("inet_protocols", "all");
      main.put("mynetworks", "127.0.0.0/8 [::1]/128");
      main.put("smtpd_relay_restrictions", "permit_mynetworks, reject");
      main.put("alias_maps", "");
      main.put("alias_database", "");
      main.put("local_recipient_maps", "");
      main.put("biff", "no");
      main.put("smtputf8_enable", "yes");
      main.put("smtpd_forbid_unauth_pipelining", "yes");
      main.put("in_flow_delay", "0");
      main.put("maillog_file", "/dev/stdout");
      main.put("syslog_name", "postfix-" + chosenPort);
      main.put("smtpd_banner", "$myhostname ESMTP Postfix");
      main.put("message_size_limit", Long.toString(b.messageSizeLimit));
      if (b.relayHost == null) {
        for (String t : List.of("default_transport", "relay_transport", "local_transport",
            "virtual_transport")) {
          main.put(t, "discard:");
        }
      } else {
        String host = b.relayHost.getAddress() instanceof Inet6Address
            ? "[ipv6:" + b.relayHost.getAddress().getHostAddress() + "]"
            : "[" + b.relayHost.getAddress().getHostAddress() + "]";
        main.put("relayhost", host + ":" + b.relayHost.getPort());
        main.put("default_transport", "smtp");
        main.put("relay_transport", "smtp");
        main.put("local_transport", "smtp");
        main.put("smtp_tls_security_level", "none");
      }
      if (b.certificate != null) {
        main.put("smtpd_tls_cert_file", b.certificate.certificatePem().toString());
        main.put("smtpd_tls_key_file", b.certificate.privateKeyPem().toString());
        main.put("smtpd_tls_security_level", "may");
      }
      main.putAll(b.mainCf);
      StringBuilder mainCf = new StringBuilder();
      main.forEach((k, v) -> mainCf.append(k).append(" = ").append(v).append('\n'));
      Files.writeString(etc.resolve("main.cf"), mainCf);
      String listen = (address instanceof Inet6Address
          ? "[" + address.getHostAddress() + "]" : address.getHostAddress()) + ":" + chosenPort;
      Files.writeString(etc.resolve("master.cf"), masterCf(listen, b.smtpdArgs));
      ExternalProcess.run(List.of(POSTFIX.toString(), "-c", etc.toString(), "check"),
          Duration.ofSeconds(60));
      started = new ExternalProcess(List.of(MASTER.toString(), "-c", etc.toString(), "-d"),
          this::onLog, "postfix-" + chosenPort);
      started.awaitListening(address, chosenPort, Duration.ofSeconds(60), "postfix master");
    } catch (IOException | RuntimeException e) {
      if (started != null) {
        started.stop(Duration.ofSeconds(10));
      }
      ExternalProcess.deleteTree(root);
      throw e;
    }
    this.port = chosenPort;
    this.master = started;
    LOG.debug("private Postfix on {}:{} in {}", address.getHostAddress(), port, root);
  }

  private static String masterCf(String listen, List<String> smtpdArgs) {
    StringBuilder sb = new StringBuilder();
    sb.append(listen).append(" inet n - n - - smtpd");
    for (String a : smtpdArgs) {
      sb.append(" -o ").append(a);
    }
    sb.append('\n');
    String[] services = {
      "pickup unix n - n 60 1 pickup",
      "cleanup unix n - n - 0 cleanup",
      "qmgr unix n - n 300 1 qmgr",
      "tlsmgr unix - - n 1000? 1 tlsmgr",
      "rewrite unix - - n - - trivial-rewrite",
      "bounce unix - - n - 0 bounce",
      "defer unix - - n - 0 bounce",
      "trace unix - - n - 0 bounce",
      "verify unix - - n - 1 verify",
      "flush unix n - n 1000? 0 flush",
      "proxymap unix - - n - - proxymap",
      "smtp unix - - n - - smtp",
      "relay unix - - n - - smtp",
      "showq unix n - n - - showq",
      "error unix - - n - - error",
      "retry unix - - n - - error",
      "discard unix - - n - - discard",
      "anvil unix - - n - 1 anvil",
      "scache unix - - n - 1 scache",
      "postlog unix-dgram n - n - 1 postlogd",
    };
    for (String s : services) {
      sb.append(s).append('\n');
    }
    return sb.toString();
  }

  private void onLog(String line) {
    LOG.trace("{}", line);
    Matcher m = STATUS.matcher(line);
    if (m.find()) {
      synchronized (lock) {
        statusCounts.merge(m.group(1), 1L, Long::sum);
        lock.notifyAll();
      }
    }
  }

  /**
   * Whether a private Postfix can run here: Postfix installed and the JVM running as root
   * (master, the queue owners and the privileged ports of Postfix's design need it).
   *
   * @return true if it can run
   */
  public static boolean available() {
    return unavailableReason().isEmpty();
  }

  /**
   * Why a private Postfix cannot run here, for a test's skip message.
   *
   * @return the reason, empty when it is available
   */
  public static Optional<String> unavailableReason() {
    if (!Files.isExecutable(POSTFIX) || !Files.isExecutable(MASTER)) {
      return Optional.of(POSTFIX + " or " + MASTER + " is not installed (Debian package postfix)");
    }
    if (!ExternalProcess.isRoot()) {
      return Optional.of("a private Postfix instance needs root (it runs master and chowns its"
          + " queue to the postfix user); running as " + System.getProperty("user.name"));
    }
    if (!Files.isReadable(Path.of("/proc/net/tcp"))) {
      return Optional.of("/proc/net/tcp is not readable (needed to see when Postfix listens)");
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
   * The address smtpd listens on.
   *
   * @return the address
   */
  public InetAddress address() {
    return address;
  }

  /**
   * The smtpd port.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * The instance's directory (etc, queue, data), deleted by {@link #close()}.
   *
   * @return the directory
   */
  public Path directory() {
    return dir;
  }

  /**
   * Deliveries logged with {@code status=sent} so far (one per recipient: discarded, or relayed
   * to the relay host).
   *
   * @return the count
   */
  public long deliveredCount() {
    return statusCount("sent");
  }

  /**
   * Deliveries logged with the given status ({@code sent}, {@code deferred}, {@code bounced}).
   *
   * @param status the status word
   * @return the count
   */
  public long statusCount(String status) {
    synchronized (lock) {
      return statusCounts.getOrDefault(status, 0L);
    }
  }

  /**
   * Waits until at least {@code count} recipients were delivered ({@code status=sent}).
   *
   * @param count the number of deliveries
   * @param timeout the longest wait
   * @return the count reached
   * @throws AssertionError on timeout, with the recent log
   * @throws InterruptedException if interrupted
   */
  public long awaitDelivered(long count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (statusCounts.getOrDefault("sent", 0L) < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("Postfix on port " + port + " delivered "
              + statusCounts.getOrDefault("sent", 0L) + " of " + count + " within " + timeout
              + "; statuses " + statusCounts + "; log: " + String.join("\n", logTail()));
        }
        lock.wait(Math.max(1, left / 1_000_000));
      }
      return statusCounts.get("sent");
    }
  }

  /**
   * The last lines of Postfix's log (up to 2000).
   *
   * @return the lines
   */
  public List<String> logTail() {
    return master.outputTail();
  }

  /**
   * The master process id (its children are smtpd, cleanup, qmgr, ...), for CPU measurements.
   *
   * @return the pid
   */
  public long pid() {
    return master.process().pid();
  }

  /** Stops Postfix (SIGTERM to master, which stops its children) and deletes the directory. */
  @Override
  public void close() {
    master.stop(Duration.ofSeconds(15));
    ExternalProcess.deleteTree(dir);
  }

  /** Configures a {@link PostfixInstance}. Not thread-safe. */
  public static final class Builder {
    private InetAddress address = Loopback.v4(1);
    private int port;
    private String hostname = "postfix.relaymail.test";
    private TestCertificate certificate;
    private InetSocketAddress relayHost;
    private long messageSizeLimit = 10_240_000;
    private final Map<String, String> mainCf = new LinkedHashMap<>();
    private final List<String> smtpdArgs = new ArrayList<>();

    private Builder() {}

    /**
     * The loopback address for smtpd (default 127.0.0.1).
     *
     * @param address a loopback address
     * @return this
     */
    public Builder address(InetAddress address) {
      this.address = Loopback.requireLoopback(address);
      return this;
    }

    /**
     * The smtpd port; 0 (default) picks a free one.
     *
     * @param port 0 to 65535
     * @return this
     */
    public Builder port(int port) {
      this.port = Loopback.requirePort(port);
      return this;
    }

    /**
     * {@code myhostname} (default {@code postfix.relaymail.test}).
     *
     * @param hostname a host name
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
     * Offer STARTTLS ({@code smtpd_tls_security_level = may}) with the certificate.
     *
     * @param certificate the certificate
     * @return this
     */
    public Builder startTls(TestCertificate certificate) {
      this.certificate = Objects.requireNonNull(certificate, "certificate");
      return this;
    }

    /**
     * Relay every message to this host instead of discarding it ({@code relayhost}).
     *
     * @param relayHost a loopback address and port, e.g. an {@link SmtpSink}'s
     * @return this
     */
    public Builder relayTo(InetSocketAddress relayHost) {
      if (!relayHost.getAddress().isLoopbackAddress()) {
        throw new IllegalArgumentException("relay host must be on loopback: " + relayHost);
      }
      this.relayHost = relayHost;
      return this;
    }

    /**
     * {@code message_size_limit} (default 10240000).
     *
     * @param octets the limit
     * @return this
     */
    public Builder messageSizeLimit(long octets) {
      if (octets < 1) {
        throw new IllegalArgumentException("messageSizeLimit must be positive: " + octets);
      }
      this.messageSizeLimit = octets;
      return this;
    }

    /**
     * Any other main.cf parameter (applied last, so it overrides the defaults).
     *
     * @param name the parameter
     * @param value the value
     * @return this
     */
    public Builder mainCf(String name, String value) {
      if (!name.matches("[a-z0-9_]+") || value.contains("\n")) {
        throw new IllegalArgumentException("bad main.cf setting: " + name + " = " + value);
      }
      mainCf.put(name, value);
      return this;
    }

    /**
     * An {@code -o name=value} override for the smtpd service in master.cf.
     *
     * @param setting {@code name=value}
     * @return this
     */
    public Builder smtpdOption(String setting) {
      if (!setting.matches("[a-z0-9_]+=\\S*")) {
        throw new IllegalArgumentException("smtpd option must be name=value without spaces: "
            + setting);
      }
      smtpdArgs.add(setting);
      return this;
    }

    /**
     * Writes the configuration, starts master and waits until smtpd listens.
     *
     * @return the running instance
     * @throws IOException if Postfix cannot start (the message holds its output)
     * @throws IllegalStateException if Postfix is not available here
     */
    public PostfixInstance start() throws IOException {
      Optional<String> why = unavailableReason();
      if (why.isPresent()) {
        throw new IllegalStateException("private Postfix unavailable: " + why.get());
      }
      return new PostfixInstance(this);
    }
  }
}
