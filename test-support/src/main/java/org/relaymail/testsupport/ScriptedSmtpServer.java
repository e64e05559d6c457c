package org.relaymail.testsupport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A scriptable SMTP server on a loopback address for tests: a test peer that answers like a
 * careful MTA by default (RFC 5321, with the ESMTP extensions it is told to advertise), lets a test
 * script any reply or fault at any stage ({@link Rule}, {@link Response}), records every message
 * and the exact bytes of every session, and checks the client strictly (no unadvertised extension
 * or parameter, no pipelining unless offered, RFC 2920; exact BDAT framing, RFC 3030).
 *
 * <p>Each connection runs on its own platform thread. {@link #close()} closes every connection and
 * waits for the threads to end. Thread-safe: the recording and waiting methods may be called from
 * any thread while sessions run.
 *
 * <pre>{@code
 * try (ScriptedSmtpServer server = ScriptedSmtpServer.builder()
 *     .chunking(true)
 *     .rule(Rule.rejectRecipient("nobody@example.test"))
 *     .start()) {
 *   // point the client at server.address() / server.port()
 *   List<ReceivedMessage> got = server.awaitMessages(1, Duration.ofSeconds(30));
 * }
 * }</pre>
 *
 * <p>Default behaviour, close to Postfix's: greeting {@code 220 <host> ESMTP}, EHLO advertising
 * PIPELINING, SIZE 10240000, ENHANCEDSTATUSCODES, 8BITMIME, DSN, SMTPUTF8 and CHUNKING (each can be
 * turned off); {@code 250 2.0.0 Ok: queued as <id>} after a message; a 421 reply always closes the
 * connection (RFC 5321 section 3.8); after {@code 554 no valid recipients} on DATA the transaction
 * stays open, as in Postfix.
 */
public final class ScriptedSmtpServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ScriptedSmtpServer.class);

  final Config config;
  private final ServerSocket serverSocket;
  private final Thread acceptThread;
  private final Map<Integer, SessionHandler> sessions = new ConcurrentHashMap<>();
  private final List<ReceivedMessage> messages = new ArrayList<>();
  private final Object messagesLock = new Object();
  private final AtomicInteger sessionCounter = new AtomicInteger();
  private final AtomicLong queueIds = new AtomicLong(0x1000);
  private volatile boolean closed;

  private ScriptedSmtpServer(Config config) throws IOException {
    this.config = config;
    this.serverSocket = new ServerSocket();
    serverSocket.setReuseAddress(true);
    serverSocket.bind(new InetSocketAddress(config.address, config.port), 200);
    this.acceptThread = new Thread(this::acceptLoop,
        "scripted-smtp-accept-" + serverSocket.getLocalPort());
    acceptThread.setDaemon(true);
    acceptThread.start();
    LOG.debug("scripted SMTP server listening on {}", serverSocket.getLocalSocketAddress());
  }

  /**
   * A new builder with the defaults described on the class.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts a server with every default on 127.0.0.1 and an ephemeral port.
   *
   * @return the running server
   * @throws IOException if the port cannot be bound
   */
  public static ScriptedSmtpServer start() throws IOException {
    return builder().start();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket socket;
      try {
        socket = serverSocket.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("accept failed on {}", serverSocket.getLocalSocketAddress(), e);
        }
        return;
      }
      int id = sessionCounter.incrementAndGet();
      SessionHandler handler = new SessionHandler(this, id, socket);
      sessions.put(id, handler);
      if (closed) {
        handler.closeSocket();
      }
      handler.start();
    }
  }

  String nextQueueId() {
    return String.format(Locale.ROOT, "%010X", queueIds.incrementAndGet());
  }

  void messageAccepted(ReceivedMessage message) {
    synchronized (messagesLock) {
      messages.add(message);
      messagesLock.notifyAll();
    }
  }

  void sessionEnded() {
    synchronized (messagesLock) {
      messagesLock.notifyAll();
    }
  }

  /**
   * The address the server listens on.
   *
   * @return the bound address
   */
  public InetAddress address() {
    return serverSocket.getInetAddress();
  }

  /**
   * The port the server listens on (the ephemeral port chosen when 0 was configured).
   *
   * @return the port
   */
  public int port() {
    return serverSocket.getLocalPort();
  }

  /**
   * The host name the server uses in its greeting and EHLO reply.
   *
   * @return the host name
   */
  public String hostname() {
    return config.hostname;
  }

  /**
   * The messages accepted so far, in order of acceptance.
   *
   * @return a snapshot
   */
  public List<ReceivedMessage> messages() {
    synchronized (messagesLock) {
      return List.copyOf(messages);
    }
  }

  /**
   * Waits until at least {@code count} messages were accepted.
   *
   * @param count how many messages to wait for
   * @param timeout the longest wait
   * @return a snapshot of all accepted messages (at least {@code count})
   * @throws AssertionError on timeout, naming what was received
   * @throws InterruptedException if interrupted while waiting
   */
  public List<ReceivedMessage> awaitMessages(int count, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (messagesLock) {
      while (messages.size() < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("expected " + count + " messages within " + timeout + " but got "
              + messages.size() + ": " + messages + "; sessions: " + sessionsSummary());
        }
        long ms = Math.max(1, left / 1_000_000);
        messagesLock.wait(ms);
      }
      return List.copyOf(messages);
    }
  }

  /**
   * Waits until no connection is open (to check that a client released its connections).
   *
   * @param timeout the longest wait
   * @throws AssertionError on timeout
   * @throws InterruptedException if interrupted while waiting
   */
  public void awaitNoOpenConnections(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (messagesLock) {
      while (openConnections() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("still " + openConnections() + " open connection(s) after "
              + timeout + ": " + sessionsSummary());
        }
        messagesLock.wait(Math.max(1, Math.min(100, left / 1_000_000)));
      }
    }
  }

  private String sessionsSummary() {
    StringBuilder sb = new StringBuilder();
    for (SessionRecord r : sessions()) {
      sb.append("\n  session ").append(r.id()).append(r.open() ? " open" : " closed")
          .append(" commands=").append(r.commands());
    }
    return sb.toString();
  }

  /**
   * How many connections the server accepted since it started.
   *
   * @return the count
   */
  public int connectionCount() {
    return sessionCounter.get();
  }

  /**
   * How many connections are open now.
   *
   * @return the count
   */
  public int openConnections() {
    int n = 0;
    for (SessionHandler h : sessions.values()) {
      if (h.isOpen()) {
        n++;
      }
    }
    return n;
  }

  /**
   * Snapshots of every session so far, in order.
   *
   * @return the sessions
   */
  public List<SessionRecord> sessions() {
    List<SessionRecord> list = new ArrayList<>();
    for (int i = 1; i <= sessionCounter.get(); i++) {
      SessionHandler h = sessions.get(i);
      if (h != null) {
        list.add(h.snapshot());
      }
    }
    return list;
  }

  /**
   * One session's snapshot.
   *
   * @param id the session number, from 1
   * @return the snapshot
   * @throws IllegalArgumentException if there is no such session
   */
  public SessionRecord session(int id) {
    SessionHandler h = sessions.get(id);
    if (h == null) {
      throw new IllegalArgumentException("no session " + id + "; sessions so far: "
          + sessionCounter.get());
    }
    return h.snapshot();
  }

  /**
   * Stops accepting, closes every connection and waits (up to 10 seconds) for the session
   * threads to end. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      serverSocket.close();
    } catch (IOException e) {
      LOG.warn("closing server socket {}", serverSocket.getLocalSocketAddress(), e);
    }
    for (SessionHandler h : sessions.values()) {
      h.closeSocket();
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    join(acceptThread, deadline);
    for (SessionHandler h : sessions.values()) {
      h.interrupt();
      join(h.thread(), deadline);
    }
  }

  private static void join(Thread t, long deadline) {
    try {
      t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (t.isAlive()) {
      LOG.warn("thread {} did not end", t.getName());
    }
  }

  boolean isClosed() {
    return closed;
  }

  /** Immutable configuration. */
  static final class Config {
    final InetAddress address;
    final int port;
    final String hostname;
    final Response greeting;
    final boolean ehlo;
    final boolean pipelining;
    final boolean chunking;
    final boolean eightBitMime;
    final boolean binaryMime;
    final boolean smtpUtf8;
    final boolean dsn;
    final boolean enhancedStatusCodes;
    final long maxSize;
    final boolean startTls;
    final boolean implicitTls;
    final TestCertificate certificate;
    final List<String> authMechanisms;
    final Map<String, String> passwords;
    final Map<String, String> oauthTokens;
    final boolean authRequiresTls;
    final boolean requireTls;
    final boolean requireAuth;
    final List<String> extraCapabilities;
    final boolean strict;
    final int maxLineLength;
    final List<Rule> preRules;
    final List<Rule> rules;
    final Duration readTimeout;

    Config(Builder b) {
      address = b.address;
      port = b.port;
      hostname = b.hostname;
      greeting = b.greeting;
      ehlo = b.ehlo;
      pipelining = b.pipelining;
      chunking = b.chunking;
      eightBitMime = b.eightBitMime;
      binaryMime = b.binaryMime;
      smtpUtf8 = b.smtpUtf8;
      dsn = b.dsn;
      enhancedStatusCodes = b.enhancedStatusCodes;
      maxSize = b.maxSize;
      startTls = b.startTls;
      implicitTls = b.implicitTls;
      certificate = b.certificate;
      authMechanisms = List.copyOf(b.authMechanisms);
      passwords = Map.copyOf(b.passwords);
      oauthTokens = Map.copyOf(b.oauthTokens);
      authRequiresTls = b.authRequiresTls;
      requireTls = b.requireTls;
      requireAuth = b.requireAuth;
      extraCapabilities = List.copyOf(b.extraCapabilities);
      strict = b.strict;
      maxLineLength = b.maxLineLength;
      preRules = List.copyOf(b.preRules);
      rules = List.copyOf(b.rules);
      readTimeout = b.readTimeout;
    }

    SSLContext sslContext() {
      return certificate.serverContext();
    }
  }

  /**
   * Configures and starts a {@link ScriptedSmtpServer}. Not thread-safe; validates every value
   * when it is set.
   */
  public static final class Builder {
    private InetAddress address = Loopback.v4(1);
    private int port;
    private String hostname = "mx.relaymail.test";
    private Response greeting;
    private boolean ehlo = true;
    private boolean pipelining = true;
    private boolean chunking = true;
    private boolean eightBitMime = true;
    private boolean binaryMime;
    private boolean smtpUtf8 = true;
    private boolean dsn = true;
    private boolean enhancedStatusCodes = true;
    private long maxSize = 10_240_000;
    private boolean startTls;
    private boolean implicitTls;
    private TestCertificate certificate;
    private final Set<String> authMechanisms = new LinkedHashSet<>();
    private final Map<String, String> passwords = new LinkedHashMap<>();
    private final Map<String, String> oauthTokens = new LinkedHashMap<>();
    private boolean authRequiresTls;
    private boolean requireTls;
    private boolean requireAuth;
    private final List<String> extraCapabilities = new ArrayList<>();
    private boolean strict = true;
    private int maxLineLength = 2048;
    private final List<Rule> preRules = new ArrayList<>();
    private final List<Rule> rules = new ArrayList<>();
    private Duration readTimeout = Duration.ofMinutes(10);

    private Builder() {}

    /**
     * The loopback address to bind (127.0.0.x or ::1). Default 127.0.0.1.
     *
     * @param address a loopback address
     * @return this
     * @throws IllegalArgumentException if the address is not a loopback address
     */
    public Builder address(InetAddress address) {
      this.address = Loopback.requireLoopback(address);
      return this;
    }

    /**
     * The port; 0 (the default) picks an ephemeral port.
     *
     * @param port 0 to 65535
     * @return this
     */
    public Builder port(int port) {
      this.port = Loopback.requirePort(port);
      return this;
    }

    /**
     * The host name in the greeting and the EHLO reply. Default {@code mx.relaymail.test}.
     *
     * @param hostname the name
     * @return this
     */
    public Builder hostname(String hostname) {
      if (hostname.isBlank() || hostname.chars().anyMatch(c -> c <= ' ')) {
        throw new IllegalArgumentException("hostname must be a non-empty name without spaces: '"
            + hostname + "'");
      }
      this.hostname = hostname;
      return this;
    }

    /**
     * The greeting (RFC 5321 section 4.3.1): any response, e.g. a 421 or 554 reply, or a
     * disconnect. A 421 closes the connection; after another non-2xx greeting the server answers
     * every command but QUIT with 503.
     *
     * @param greeting the greeting
     * @return this
     */
    public Builder greeting(Response greeting) {
      this.greeting = Objects.requireNonNull(greeting, "greeting");
      return this;
    }

    /**
     * Whether EHLO is understood (default true); false answers EHLO with 502, for HELO fallback.
     *
     * @param enabled whether EHLO works
     * @return this
     */
    public Builder ehlo(boolean enabled) {
      this.ehlo = enabled;
      return this;
    }

    /**
     * Advertise PIPELINING (RFC 2920). Default true. When off, strict mode refuses pipelined
     * commands with {@code 554 5.5.0} and disconnects, as Postfix does with
     * {@code smtpd_forbid_unauth_pipelining = yes}.
     *
     * @param enabled whether to advertise it
     * @return this
     */
    public Builder pipelining(boolean enabled) {
      this.pipelining = enabled;
      return this;
    }

    /**
     * Advertise CHUNKING (RFC 3030). Default true.
     *
     * @param enabled whether to advertise it
     * @return this
     */
    public Builder chunking(boolean enabled) {
      this.chunking = enabled;
      return this;
    }

    /**
     * Advertise 8BITMIME (RFC 6152). Default true.
     *
     * @param enabled whether to advertise it
     * @return this
     */
    public Builder eightBitMime(boolean enabled) {
      this.eightBitMime = enabled;
      return this;
    }

    /**
     * Advertise BINARYMIME (RFC 3030 section 3). Default false.
     *
     * @param enabled whether to advertise it
     * @return this
     */
    public Builder binaryMime(boolean enabled) {
      this.binaryMime = enabled;
      return this;
    }

    /**
     * Advertise SMTPUTF8 (RFC 6531). Default true.
     *
     * @param enabled whether to advertise it
     * @return this
     */
    public Builder smtpUtf8(boolean enabled) {
      this.smtpUtf8 = enabled;
      return this;
    }

    /**
     * Advertise DSN (RFC 3461). Default true.
     *
     * @param enabled whether to advertise it
     * @return this
     */
    public Builder dsn(boolean enabled) {
      this.dsn = enabled;
      return this;
    }

    /**
     * Advertise ENHANCEDSTATUSCODES (RFC 2034) and put enhanced codes in the default replies.
     * Default true.
     *
     * @param enabled whether to advertise them
     * @return this
     */
    public Builder enhancedStatusCodes(boolean enabled) {
      this.enhancedStatusCodes = enabled;
      return this;
    }

    /**
     * The SIZE limit advertised and enforced (RFC 1870): a larger SIZE= or content gets
     * {@code 552 5.3.4}. 0 advertises {@code SIZE} without a limit; -1 does not advertise SIZE.
     * Default 10240000.
     *
     * @param maxSize the limit in octets, 0 for none, -1 to not advertise SIZE
     * @return this
     */
    public Builder maxSize(long maxSize) {
      if (maxSize < -1) {
        throw new IllegalArgumentException("maxSize must be -1, 0 or positive: " + maxSize);
      }
      this.maxSize = maxSize;
      return this;
    }

    /**
     * Turns every ESMTP extension off (PIPELINING, CHUNKING, 8BITMIME, BINARYMIME, SMTPUTF8,
     * DSN, ENHANCEDSTATUSCODES, SIZE, STARTTLS, AUTH); enable the wanted ones after this.
     *
     * @return this
     */
    public Builder noExtensions() {
      pipelining = false;
      chunking = false;
      eightBitMime = false;
      binaryMime = false;
      smtpUtf8 = false;
      dsn = false;
      enhancedStatusCodes = false;
      maxSize = -1;
      startTls = false;
      authMechanisms.clear();
      extraCapabilities.clear();
      return this;
    }

    /**
     * Offers STARTTLS (RFC 3207) with the given certificate.
     *
     * @param certificate the server certificate, e.g. {@link TestCertificate#shared()}
     * @return this
     */
    public Builder startTls(TestCertificate certificate) {
      this.certificate = Objects.requireNonNull(certificate, "certificate");
      this.startTls = true;
      return this;
    }

    /**
     * Speaks TLS from the first byte (implicit TLS, "SMTPS", RFC 8314 section 3.3).
     *
     * @param certificate the server certificate
     * @return this
     */
    public Builder implicitTls(TestCertificate certificate) {
      this.certificate = Objects.requireNonNull(certificate, "certificate");
      this.implicitTls = true;
      return this;
    }

    /**
     * The SASL mechanisms offered with AUTH (RFC 4954): any of PLAIN, LOGIN, CRAM-MD5, XOAUTH2.
     *
     * @param mechanisms the mechanisms, in the order advertised
     * @return this
     */
    public Builder authMechanisms(String... mechanisms) {
      authMechanisms.clear();
      for (String m : mechanisms) {
        String u = m.toUpperCase(Locale.ROOT);
        if (!Set.of("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2").contains(u)) {
          throw new IllegalArgumentException(
              "unsupported SASL mechanism (PLAIN, LOGIN, CRAM-MD5, XOAUTH2): " + m);
        }
        authMechanisms.add(u);
      }
      return this;
    }

    /**
     * A user and password accepted by PLAIN, LOGIN and CRAM-MD5.
     *
     * @param user the user name
     * @param password the password
     * @return this
     */
    public Builder user(String user, String password) {
      passwords.put(Objects.requireNonNull(user, "user"), Objects.requireNonNull(password, "password"));
      return this;
    }

    /**
     * A user and bearer token accepted by XOAUTH2.
     *
     * @param user the user name
     * @param token the token
     * @return this
     */
    public Builder oauthToken(String user, String token) {
      oauthTokens.put(Objects.requireNonNull(user, "user"), Objects.requireNonNull(token, "token"));
      return this;
    }

    /**
     * Offer and accept AUTH only over TLS (like Postfix's {@code smtpd_tls_auth_only}); AUTH on
     * plaintext gets {@code 538 5.7.11}. Default false.
     *
     * @param required whether TLS is needed for AUTH
     * @return this
     */
    public Builder authRequiresTls(boolean required) {
      this.authRequiresTls = required;
      return this;
    }

    /**
     * Refuse MAIL before STARTTLS with {@code 530 5.7.0}. Default false.
     *
     * @param required whether TLS is required
     * @return this
     */
    public Builder requireTls(boolean required) {
      this.requireTls = required;
      return this;
    }

    /**
     * Refuse MAIL before AUTH with {@code 530 5.7.0}. Default false.
     *
     * @param required whether AUTH is required
     * @return this
     */
    public Builder requireAuth(boolean required) {
      this.requireAuth = required;
      return this;
    }

    /**
     * An extra EHLO keyword line, advertised as given (not enforced).
     *
     * @param capability the line, e.g. {@code "REQUIRETLS"}
     * @return this
     */
    public Builder capability(String capability) {
      if (capability.isBlank() || capability.indexOf('\r') >= 0 || capability.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("capability must be one non-empty line: " + capability);
      }
      extraCapabilities.add(capability);
      return this;
    }

    /**
     * Strict checking of the client (default true): unadvertised extensions and parameters are
     * refused (555, 502), 8-bit content without BODY=8BITMIME is refused (554 5.6.1), non-ASCII
     * addresses without SMTPUTF8 get 553 5.6.7 (RFC 6531 section 3.4), and pipelined commands
     * are refused with {@code 554 5.5.0} and a disconnect when PIPELINING was not offered or the
     * command must end a group (RFC 2920 section 3.1).
     *
     * @param enabled whether to check strictly
     * @return this
     */
    public Builder strict(boolean enabled) {
      this.strict = enabled;
      return this;
    }

    /**
     * The longest command line accepted, CRLF included (default 2048 as Postfix); a longer one
     * gets {@code 500 5.5.2}.
     *
     * @param octets the limit
     * @return this
     */
    public Builder maxLineLength(int octets) {
      if (octets < 16) {
        throw new IllegalArgumentException("maxLineLength must be at least 16: " + octets);
      }
      this.maxLineLength = octets;
      return this;
    }

    /**
     * A rule consulted before any check, for every command (even invalid ones); the first
     * non-null answer wins and bypasses the server's own checks. Effects still follow the
     * answer's code (a 250 to MAIL opens a transaction).
     *
     * @param rule the rule
     * @return this
     */
    public Builder onCommand(Rule rule) {
      preRules.add(Objects.requireNonNull(rule, "rule"));
      return this;
    }

    /**
     * A rule consulted, in the order added, for commands that passed the server's own sequence,
     * syntax and strict checks; the first non-null answer wins over the default answer.
     *
     * @param rule the rule
     * @return this
     */
    public Builder rule(Rule rule) {
      rules.add(Objects.requireNonNull(rule, "rule"));
      return this;
    }

    /**
     * Shorthand for {@code rule(Rule.at(stage, response))}.
     *
     * @param stage the stage
     * @param response the response at every command of that stage
     * @return this
     */
    public Builder replyAt(Stage stage, Response response) {
      return rule(Rule.at(stage, response));
    }

    /**
     * Shorthand for {@code rule(Rule.rejectRecipient(address))}.
     *
     * @param address the mailbox to refuse with 550 5.1.1
     * @return this
     */
    public Builder rejectRecipient(String address) {
      return rule(Rule.rejectRecipient(address));
    }

    /**
     * Shorthand for {@code rule(Rule.greylist(attempts))}.
     *
     * @param attempts how many attempts per (sender, recipient) get 450
     * @return this
     */
    public Builder greylist(int attempts) {
      return rule(Rule.greylist(attempts));
    }

    /**
     * Shorthand for {@code rule(Rule.maxRecipients(max))}.
     *
     * @param max recipients accepted per transaction before 452
     * @return this
     */
    public Builder maxRecipients(int max) {
      return rule(Rule.maxRecipients(max));
    }

    /**
     * How long a session waits for the client's next bytes before closing (default 10 minutes).
     *
     * @param timeout the read timeout, positive
     * @return this
     */
    public Builder readTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("readTimeout must be positive: " + timeout);
      }
      this.readTimeout = timeout;
      return this;
    }

    /**
     * Binds and starts the server.
     *
     * @return the running server; close it when done
     * @throws IOException if the address and port cannot be bound
     * @throws IllegalStateException if AUTH mechanisms are set without credentials
     */
    public ScriptedSmtpServer start() throws IOException {
      if (greeting == null) {
        greeting = Response.reply(220, hostname + " ESMTP relaymail test server");
      }
      if (!authMechanisms.isEmpty() && passwords.isEmpty() && oauthTokens.isEmpty()) {
        throw new IllegalStateException("AUTH mechanisms " + authMechanisms
            + " need credentials: call user(...) or oauthToken(...)");
      }
      return new ScriptedSmtpServer(new Config(this));
    }
  }

  static boolean isSocketClosedException(IOException e) {
    return e instanceof SocketException;
  }
}
