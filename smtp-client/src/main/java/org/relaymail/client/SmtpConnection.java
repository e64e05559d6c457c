package org.relaymail.client;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import org.relaymail.client.internal.Authenticator;
import org.relaymail.client.internal.Commands;
import org.relaymail.client.internal.SafeListener;
import org.relaymail.client.internal.SmtpTransport;
import org.relaymail.protocol.BdatOutputStream;
import org.relaymail.protocol.DotStuffingOutputStream;
import org.relaymail.protocol.EhloCapabilities;
import org.relaymail.protocol.EnhancedStatus;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpProtocolException;
import org.relaymail.protocol.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SMTP conversation with one server (RFC 5321), opened by {@link #open(Route,
 * ConnectionSettings)}: connect, greeting, EHLO (HELO when EHLO is refused), STARTTLS and EHLO again
 * (RFC 3207) or implicit TLS (RFC 8314), AUTH (RFC 4954); then mail transactions and the other
 * commands (RSET, NOOP, VRFY, EXPN, HELP, QUIT).
 *
 * <h2>Sending</h2>
 *
 * {@link #send(Envelope, MessageContent)} sends one message and returns its {@link
 * TransactionResult}. {@link #submit(Envelope, MessageContent)} queues a message without any I/O and
 * returns a future; {@link #flush()} then sends everything queued through the <em>pipelining
 * window</em>: when the server offers PIPELINING (RFC 2920), MAIL, every RCPT and DATA go in one
 * write and their replies are matched in order; the message content, its final dot and the next
 * transaction's commands go in one write (RFC 2920 section 3.1); and with CHUNKING (RFC 3030) up to
 * {@link ConnectionSettings#pipeliningWindow()} whole transactions ({@code MAIL, RCPT..., BDAT n
 * LAST} and the bytes) are written before their replies are read. A transaction written while the
 * previous one's outcome is unknown starts with RSET, so a refused transaction never leaks into the
 * next one. Nothing is reported accepted without its positive final reply.
 *
 * <p>Before anything is sent, a message is refused locally (a synthetic 5xx reply whose text starts
 * with "relaymail:", nothing written) when it is larger than the server's SIZE (552 5.3.4), has
 * 8-bit content and the server lacks 8BITMIME (554 5.6.3), or needs SMTPUTF8 (an address, or UTF-8
 * in the headers, RFC 6532) and the server lacks it (554 5.6.9). More recipients than {@link
 * ConnectionSettings#maxRecipientsPerTransaction()} go in several transactions; recipients refused
 * with 452 (too many recipients, RFC 5321 section 4.5.3.1.10) go at once in a further transaction.
 *
 * <h2>Failures</h2>
 *
 * Replies are values: refusals of MAIL, RCPT, DATA or the content end up per recipient in the
 * result. A 421 or a broken connection ends the session: every transaction without its final reply
 * is reported with status TRANSIENT (the 421, or a synthetic {@code 451 4.4.2} naming the failure),
 * never as accepted; queued transactions that were never written complete exceptionally with the
 * {@link IOException}, so that they can be sent again elsewhere. After that {@link #isUsable()} is
 * false. An unexpected 354 closes the connection at once (anything further would become message
 * text).
 *
 * <p>Not thread-safe: use one connection from one thread at a time (the pool and {@link SmtpClient}
 * do this for you). {@link #abort()} may be called from any thread.
 */
public final class SmtpConnection implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(SmtpConnection.class);
  private static final int MAX_OUTSTANDING_REPLIES = 512;
  private static volatile SSLContext trustAll;

  private final Route route;
  private final ConnectionSettings settings;
  private final SmtpTimeouts timeouts;
  private final SmtpEventListener listener;
  private final SmtpTransport transport;
  /**
   * The transport's stream without flush: the content's end (final dot, last BDAT chunk) and the
   * next transaction's commands leave in one write (RFC 2920 section 3.1), flushed only before a
   * reply is awaited. A flush in between would split the group, and a server that answers each
   * part separately with Nagle's algorithm on then waits for our delayed ACK (tens of ms each).
   */
  private final OutputStream unflushed;
  private SmtpReply greeting;
  private EhloCapabilities capabilities;
  private boolean ehlo;
  private String authMechanism;

  private final ArrayDeque<Part> toWrite = new ArrayDeque<>();
  private final ArrayDeque<Part> inFlight = new ArrayDeque<>();
  private int outstandingReplies;
  private boolean dirty;
  private IOException broken;
  private SmtpReply closedBy;
  private boolean closed;
  private long messagesAccepted;
  private long transactions;

  private SmtpConnection(Route route, ConnectionSettings settings, SmtpTransport transport) {
    this.route = route;
    this.settings = settings;
    this.timeouts = settings.timeouts();
    this.listener = SafeListener.wrap(settings.listener());
    this.transport = transport;
    this.unflushed = new NoFlushOutputStream(transport);
  }

  /** Writes through to the transport's buffered stream; {@link #flush()} does nothing. */
  private static final class NoFlushOutputStream extends OutputStream {
    private final SmtpTransport transport;

    NoFlushOutputStream(SmtpTransport transport) {
      this.transport = transport;
    }

    @Override
    public void write(int b) throws IOException {
      transport.stream().write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      transport.stream().write(b, off, len);
    }

    @Override
    public void flush() {
      // the connection flushes once per pipelined group, before it reads replies
    }
  }

  /**
   * Opens a connection: TCP (through the route's proxy, from its local address), implicit TLS when
   * the route says so, the greeting, EHLO, STARTTLS per the TLS mode, and AUTH when the route has
   * credentials.
   *
   * @param route where to connect
   * @param settings how
   * @return the open connection, ready for a transaction
   * @throws SmtpReplyException when the greeting, EHLO, STARTTLS or AUTH is refused (classified by
   *     its reply)
   * @throws SmtpTlsException when TLS is required and cannot be had, or the handshake fails
   * @throws SmtpTimeoutException when a stage takes longer than its timeout
   * @throws SmtpClientException for other connection failures, and when AUTH would go over plain
   *     text without {@link ConnectionSettings#allowAuthWithoutTls()}
   */
  public static SmtpConnection open(Route route, ConnectionSettings settings) throws IOException {
    Objects.requireNonNull(route, "route");
    Objects.requireNonNull(settings, "settings");
    TlsMode mode = route.tlsMode();
    SSLContext ctx = mode.isVerified() ? settings.verifyingSslContext() : trustAllContext();
    SmtpTransport t = new SmtpTransport(route, ctx, mode.isVerified(), settings.timeouts().greeting());
    SmtpConnection c = new SmtpConnection(route, settings, t);
    c.listener.connectStart(route);
    try {
      c.handshake();
    } catch (IOException | RuntimeException e) {
      t.abort();
      IOException io =
          e instanceof IOException
              ? (IOException) e
              : new SmtpClientException(route.host(), route.port(), e.toString(), e);
      c.listener.connectFailed(route, io);
      throw io;
    }
    c.listener.connectEnd(route, t.remote());
    return c;
  }

  private static SSLContext trustAllContext() {
    SSLContext c = trustAll;
    if (c == null) {
      c = SmtpTransport.trustAllContext();
      trustAll = c;
    }
    return c;
  }

  private void handshake() throws IOException {
    TlsMode mode = route.tlsMode();
    if (mode.isImplicit()) {
      listener.tlsStart(route);
    }
    try {
      transport.open(timeouts.connect(), settings.tcpNoDelay());
    } catch (SmtpTlsException e) {
      listener.tlsFailed(route, e);
      throw e;
    }
    transport.writeTimeout(timeouts.dataBlock());
    if (mode.isImplicit()) {
      tlsEnded();
    }
    greeting = transport.greeting();
    if (greeting.code() != 220) {
      throw new SmtpReplyException(
          route.host(), route.port(), SmtpReplyException.Stage.GREETING, greeting);
    }
    sayHello();
    if (!mode.isImplicit() && mode != TlsMode.NONE) {
      if (capabilities.startTls()) {
        listener.tlsStart(route);
        SmtpReply refused;
        try {
          refused = transport.startTls(timeouts.command());
        } catch (IOException e) {
          listener.tlsFailed(route, e);
          throw e;
        }
        if (refused != null) {
          SmtpTlsException e =
              new SmtpTlsException(
                  route.host(), route.port(), "STARTTLS refused: " + refused, null);
          listener.tlsFailed(route, e);
          if (refused.code() == 421 || mode.isRequired()) {
            throw e;
          }
        } else {
          tlsEnded();
          sayHello(); // RFC 3207 section 4.2: forget what was learned before TLS
        }
      } else if (mode.isRequired()) {
        SmtpTlsException e =
            new SmtpTlsException(
                route.host(),
                route.port(),
                "TLS mode " + mode + " requires STARTTLS but the server does not offer it",
                null);
        listener.tlsFailed(route, e);
        throw e;
      }
    }
    if (route.credentials().isPresent()) {
      authenticate(route.credentials().get());
    }
  }

  private void tlsEnded() {
    SSLSession s = transport.tlsSession();
    listener.tlsEnd(route, s == null ? "?" : s.getProtocol(), s == null ? "?" : s.getCipherSuite());
  }

  private void sayHello() throws IOException {
    SmtpReply r = command(Commands.withArgument("EHLO", route.heloName()), timeouts.command());
    if (r.code() == 250) {
      capabilities = EhloCapabilities.parse(r);
      ehlo = true;
      return;
    }
    if (r.code() == 421 || !r.isPermanent()) {
      throw new SmtpReplyException(route.host(), route.port(), SmtpReplyException.Stage.EHLO, r);
    }
    // RFC 5321 section 3.2: a server that does not know EHLO answers 5xx; fall back to HELO
    SmtpReply h = command(Commands.withArgument("HELO", route.heloName()), timeouts.command());
    if (h.code() != 250) {
      throw new SmtpReplyException(route.host(), route.port(), SmtpReplyException.Stage.EHLO, h);
    }
    capabilities = EhloCapabilities.none();
    ehlo = false;
  }

  private void authenticate(Credentials creds) throws IOException {
    if (!transport.isEncrypted() && !settings.allowAuthWithoutTls()) {
      throw new SmtpClientException(
          route.host(),
          route.port(),
          "refusing AUTH over a connection without TLS (TLS mode "
              + route.tlsMode()
              + "); use a TLS mode or ConnectionSettings.allowAuthWithoutTls(true)",
          null);
    }
    String mech = Authenticator.choose(capabilities.authMechanisms(), creds, transport.isEncrypted());
    if (mech == null) {
      throw new SmtpClientException(
          route.host(),
          route.port(),
          "no AUTH mechanism in common: the server offers "
              + capabilities.authMechanisms()
              + ", the credentials allow "
              + creds.mechanisms(),
          null);
    }
    Authenticator.authenticate(transport, route, creds, mech, timeouts.command(), listener);
    authMechanism = mech;
  }

  // ---------------------------------------------------------------- accessors

  /** @return the route this connection was opened for */
  public Route route() {
    return route;
  }

  /** @return the server's greeting */
  public SmtpReply greeting() {
    return greeting;
  }

  /**
   * @return the server's capabilities from the last EHLO ({@link EhloCapabilities#none()} after a
   *     HELO fallback)
   */
  public EhloCapabilities capabilities() {
    return capabilities;
  }

  /** @return whether the session uses EHLO (false after the HELO fallback) */
  public boolean isExtended() {
    return ehlo;
  }

  /** @return whether the connection is encrypted with TLS */
  public boolean isEncrypted() {
    return transport.isEncrypted();
  }

  /** @return the TLS session, or {@code null} without TLS */
  public SSLSession tlsSession() {
    return transport.tlsSession();
  }

  /** @return the AUTH mechanism used, or {@code null} when not authenticated */
  public String authMechanism() {
    return authMechanism;
  }

  /** @return the server's address */
  public InetSocketAddress remoteAddress() {
    return transport.remote();
  }

  /**
   * @return whether the connection can take another transaction: not closed, no 421, no I/O
   *     failure, no timeout
   */
  public boolean isUsable() {
    return !closed && broken == null && closedBy == null && transport.isOpen();
  }

  /** @return how many messages had at least one recipient accepted on this connection */
  public long messagesAccepted() {
    return messagesAccepted;
  }

  /** @return how many transactions were started on this connection */
  public long transactions() {
    return transactions;
  }

  // ---------------------------------------------------------------- simple commands

  private SmtpReply command(byte[] line, Duration timeout) throws IOException {
    try {
      transport.write(line);
      transport.flush();
      SmtpReply r = transport.readReply(timeout);
      if (r.code() == 421) {
        closedBy = r;
      }
      return r;
    } catch (IOException e) {
      broken = e;
      transport.abort();
      throw e;
    }
  }

  private SmtpReply idleCommand(byte[] line) throws IOException {
    checkIdle();
    return command(line, timeouts.command());
  }

  private void checkIdle() throws IOException {
    if (!toWrite.isEmpty() || !inFlight.isEmpty()) {
      throw new IllegalStateException("transactions are queued; call flush() first");
    }
    if (!isUsable()) {
      throw new SmtpClientException(
          route.host(),
          route.port(),
          "connection is not usable"
              + (closedBy != null ? " (server said " + closedBy + ")" : "")
              + (broken != null ? " (" + broken.getMessage() + ")" : ""),
          broken);
    }
  }

  /**
   * RSET (RFC 5321 section 4.1.1.5).
   *
   * @return the reply
   * @throws IOException when the connection breaks
   */
  public SmtpReply rset() throws IOException {
    SmtpReply r = idleCommand(Commands.simple("RSET"));
    if (r.isPositive()) {
      dirty = false;
    }
    return r;
  }

  /**
   * NOOP (RFC 5321 section 4.1.1.9), e.g. to check an idle connection.
   *
   * @return the reply
   * @throws IOException when the connection breaks
   */
  public SmtpReply noop() throws IOException {
    return idleCommand(Commands.simple("NOOP"));
  }

  /**
   * VRFY (RFC 5321 section 4.1.1.6).
   *
   * @param what a user name or address, without CR/LF
   * @return the reply
   * @throws IOException when the connection breaks
   */
  public SmtpReply vrfy(String what) throws IOException {
    return idleCommand(Commands.withArgument("VRFY", what));
  }

  /**
   * EXPN (RFC 5321 section 4.1.1.7).
   *
   * @param list a mailing list name, without CR/LF
   * @return the reply
   * @throws IOException when the connection breaks
   */
  public SmtpReply expn(String list) throws IOException {
    return idleCommand(Commands.withArgument("EXPN", list));
  }

  /**
   * HELP (RFC 5321 section 4.1.1.8).
   *
   * @param topic a topic, or {@code null}
   * @return the reply
   * @throws IOException when the connection breaks
   */
  public SmtpReply help(String topic) throws IOException {
    return idleCommand(
        topic == null ? Commands.simple("HELP") : Commands.withArgument("HELP", topic));
  }

  /**
   * Sends QUIT (RFC 5321 section 4.1.1.10) when the connection is usable, then closes the socket.
   * Transactions still queued complete exceptionally. Never throws; idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    IOException why = new SmtpClientException(route.host(), route.port(), "connection closed", null);
    failUnwritten(why);
    failInFlight(why);
    if (isUsable()) {
      try {
        Duration t = timeouts.command().compareTo(Duration.ofSeconds(10)) < 0
            ? timeouts.command() : Duration.ofSeconds(10);
        command(Commands.simple("QUIT"), t);
      } catch (IOException e) {
        LOG.debug("QUIT to {} failed; closing anyway: {}", route, e.toString());
      }
    }
    closed = true;
    transport.closeQuietly();
  }

  /** Closes the socket at once, without QUIT; safe from any thread. */
  public void abort() {
    transport.abort();
  }

  // ---------------------------------------------------------------- transactions

  /**
   * Sends one message and waits for its outcome.
   *
   * @param envelope sender and recipients
   * @param content the message
   * @return the result per recipient
   * @throws IOException when the connection broke before the message was written, or when the
   *     content could not be read; a break after that is reported in the result (TRANSIENT)
   */
  public TransactionResult send(Envelope envelope, MessageContent content) throws IOException {
    CompletableFuture<TransactionResult> f = submit(envelope, content);
    flush();
    try {
      return f.get();
    } catch (ExecutionException e) {
      throw unwrap(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted");
    }
  }

  static IOException unwrap(Throwable t) {
    while (t instanceof CompletionException || t instanceof ExecutionException) {
      t = t.getCause();
    }
    if (t instanceof IOException) {
      return (IOException) t;
    }
    if (t instanceof RuntimeException) {
      throw (RuntimeException) t;
    }
    if (t instanceof Error) {
      throw (Error) t;
    }
    return new IOException(t);
  }

  /**
   * Queues a message for {@link #flush()}; nothing is written yet. A message refused locally (see
   * the class description) completes at once.
   *
   * @param envelope sender and recipients
   * @param content the message
   * @return its future result
   * @throws IOException when the content cannot be examined
   * @throws IllegalStateException when the connection is closed
   */
  public CompletableFuture<TransactionResult> submit(Envelope envelope, MessageContent content)
      throws IOException {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(content, "content");
    if (closed) {
      throw new IllegalStateException("connection is closed");
    }
    Job job = new Job(envelope, content, content.info());
    SmtpReply refusal = localRefusal(job);
    if (refusal != null) {
      List<RecipientResult> rs = new ArrayList<>();
      for (Mailbox m : envelope.recipients()) {
        rs.add(RecipientResult.of(m, refusal));
      }
      TransactionResult tr = new TransactionResult(envelope, rs, List.of());
      listener.transactionEnd(route, tr);
      job.future.complete(tr);
      return job.future;
    }
    int cap = settings.maxRecipientsPerTransaction();
    int n = envelope.recipients().size();
    for (int i = 0; i < n; i += cap) {
      List<Integer> idx = new ArrayList<>();
      for (int j = i; j < Math.min(n, i + cap); j++) {
        idx.add(j);
      }
      toWrite.add(new Part(job, idx, 0));
    }
    return job.future;
  }

  private SmtpReply localRefusal(Job job) {
    MessageContent.Info info = job.info;
    if (capabilities.maxSize().isPresent()
        && capabilities.maxSize().getAsLong() > 0
        && info.size() > capabilities.maxSize().getAsLong()) {
      return synthetic(552, 5, 3, 4,
          "message of " + info.size() + " octets exceeds the server's SIZE "
              + capabilities.maxSize().getAsLong() + " (RFC 1870)");
    }
    boolean utf8 = job.envelope.needsSmtpUtf8() || info.utf8Headers();
    if (utf8 && !capabilities.smtpUtf8()) {
      return synthetic(554, 5, 6, 9,
          (job.envelope.needsSmtpUtf8() ? "an address" : "the header section")
              + " needs SMTPUTF8 (RFC 6531/6532) but the server does not offer it");
    }
    if (info.eightBit() && !capabilities.eightBitMime() && !capabilities.smtpUtf8()) {
      return synthetic(554, 5, 6, 3,
          "8-bit content but the server does not offer 8BITMIME (RFC 6152)");
    }
    if (info.longestLine() > DotStuffingOutputStream.MAX_LINE_LENGTH) {
      return synthetic(554, 5, 6, 0,
          "a line of " + info.longestLine() + " octets exceeds the 998 allowed by RFC 5321"
              + " section 4.5.3.1.6 (normalize the message with MessageNormalizer)");
    }
    return null;
  }

  private static SmtpReply synthetic(int code, int c, int s, int d, String text) {
    return SmtpReply.of(code, EnhancedStatus.of(c, s, d), "relaymail: " + text);
  }

  /**
   * Sends every queued message through the pipelining window and waits until each has its outcome
   * (its future is complete). Does not throw for failures: they are in the futures.
   */
  public void flush() {
    flush(null);
  }

  /**
   * Like {@link #flush()}, but keeps the window full from a source of further messages: whenever
   * nothing queued is left to write and the window has room, {@code feeder} is asked for another
   * message, which it {@link #submit submits} to this connection (returning true), or it returns
   * false when it has none right now. Returns when everything submitted has its outcome and the
   * feeder has nothing more. This streams transactions continuously instead of in batches of one
   * window (RFC 2920 section 3.1, RFC 3030). Used by {@link SmtpClient}.
   *
   * @param feeder the source, or {@code null}
   */
  void flush(java.util.function.BooleanSupplier feeder) {
    try {
      drive(feeder);
    } catch (IOException e) {
      fail(e);
    } catch (RuntimeException e) {
      fail(new SmtpClientException(route.host(), route.port(), "internal failure: " + e, e));
      throw e;
    }
  }

  private void fail(IOException e) {
    if (broken == null) {
      broken = e;
    }
    transport.abort();
    failInFlight(e);
    failUnwritten(e);
  }

  private void failInFlight(IOException e) {
    Part p;
    while ((p = inFlight.poll()) != null) {
      p.finishBroken(e);
    }
    outstandingReplies = 0;
  }

  private void failUnwritten(IOException e) {
    Part p;
    while ((p = toWrite.poll()) != null) {
      p.job.failUnwritten(p, e);
    }
  }

  private boolean pipelining() {
    return capabilities.pipelining();
  }

  private boolean canWrite() {
    Part next = toWrite.peek();
    return next != null && hasRoom(next.indices.size());
  }

  /** Whether a transaction with {@code recipients} RCPTs may be written now. */
  private boolean hasRoom(int recipients) {
    if (broken != null || closedBy != null) {
      return false;
    }
    if (inFlight.isEmpty()) {
      return true;
    }
    if (!pipelining() || settings.pipeliningWindow() <= 1) {
      return false;
    }
    if (inFlight.size() >= settings.pipeliningWindow()) {
      return false;
    }
    for (Part p : inFlight) {
      if (p.stage == Stage.COMMANDS && !p.bdat) {
        return false; // DATA awaits its 354: nothing may follow it before the content
      }
      if (p.lockstep) {
        return false;
      }
    }
    return outstandingReplies + recipients + 3 <= MAX_OUTSTANDING_REPLIES;
  }

  private void drive(java.util.function.BooleanSupplier feeder) throws IOException {
    while (true) {
      while (feeder != null && toWrite.isEmpty() && hasRoom(1)) {
        if (!feeder.getAsBoolean()) {
          if (inFlight.isEmpty()) {
            feeder = null; // nothing more, nothing pending: done
          }
          break; // otherwise ask again after the next reply
        }
      }
      if (toWrite.isEmpty() && inFlight.isEmpty()) {
        break;
      }
      if (broken != null) {
        throw broken;
      }
      if (closedBy != null) {
        closeAfter421();
        return;
      }
      if (canWrite()) {
        writePart(toWrite.poll());
        continue;
      }
      if (inFlight.isEmpty()) {
        break;
      }
      transport.flush();
      Part head = inFlight.peek();
      SmtpReply r = transport.readReply(head.timeout());
      outstandingReplies--;
      onReply(head, r);
    }
    if (closedBy != null) {
      closeAfter421();
      return;
    }
    transport.flush();
    if (dirty && broken == null) {
      SmtpReply r = command(Commands.simple("RSET"), timeouts.command());
      if (r.isPositive()) {
        dirty = false;
      } else if (r.code() != 421) {
        broken = new SmtpClientException(
            route.host(), route.port(), "RSET refused: " + r + "; the session state is unknown",
            null);
        transport.abort();
      }
    }
  }

  private void closeAfter421() {
    for (Part p : new ArrayList<>(inFlight)) {
      p.finishWith421(closedBy);
    }
    inFlight.clear();
    outstandingReplies = 0;
    failUnwritten(new SmtpReplyException(
        route.host(), route.port(), SmtpReplyException.Stage.SESSION, closedBy));
    transport.closeQuietly();
  }

  private void writePart(Part p) throws IOException {
    if (!p.job.started) {
      p.job.started = true;
      listener.transactionStart(route, p.job.envelope);
    }
    transactions++;
    boolean rset = dirty || (!inFlight.isEmpty() && inFlight.peekLast().mayLeaveOpen());
    dirty = false;
    MessageContent.Info info = p.job.info;
    boolean utf8 = p.job.envelope.needsSmtpUtf8() || info.utf8Headers();
    p.bdat =
        settings.useChunking()
            && capabilities.chunking()
            && pipelining()
            && info.canonical();
    p.lockstep = !pipelining();
    p.rset = rset;
    Envelope env = p.job.envelope;
    boolean dsn = capabilities.dsn();
    // ORCPT (RFC 3461 section 4.2) goes with a DSN request, only where DSN is offered
    boolean dsnRequested = dsn && env.requestsDsn();
    List<byte[]> cmds = new ArrayList<>();
    if (rset) {
      cmds.add(Commands.simple("RSET"));
    }
    cmds.add(Commands.mail(env, capabilities.maxSize().isPresent() ? info.size() : -1,
        info.eightBit() && capabilities.eightBitMime(), utf8, dsn));
    for (int i : p.indices) {
      Mailbox to = env.recipients().get(i);
      cmds.add(Commands.rcpt(to, dsn ? env.notifyFor(to) : java.util.Set.of(),
          dsnRequested ? env.originalRecipientFor(to) : java.util.Optional.empty()));
    }
    if (!p.bdat) {
      cmds.add(Commands.simple("DATA"));
    }
    p.commands = cmds;
    inFlight.add(p);
    if (p.lockstep) {
      writeNextCommand(p);
      return;
    }
    for (byte[] c : cmds) {
      transport.write(c);
    }
    p.nextCommand = cmds.size();
    outstandingReplies += cmds.size();
    if (p.bdat) {
      writeBdat(p);
    }
  }

  private void writeNextCommand(Part p) throws IOException {
    transport.write(p.commands.get(p.nextCommand++));
    outstandingReplies++;
  }

  private void writeBdat(Part p) throws IOException {
    // a chunk buffer no larger than the message (the 64 KiB default would be garbage per message)
    long size = p.job.info.size();
    int chunk = (int) Math.max(1, Math.min(BdatOutputStream.DEFAULT_CHUNK_SIZE, size));
    BdatOutputStream bdat = new BdatOutputStream(unflushed, chunk, false);
    try (InputStream in = p.job.content.open()) {
      in.transferTo(bdat);
      bdat.finish();
    } catch (SmtpProtocolException e) {
      throw contentFailure(p, e);
    } catch (IOException e) {
      if (e instanceof SmtpClientException) {
        throw e;
      }
      throw contentFailure(p, e);
    }
    p.bdatReplies = bdat.chunksSent();
    outstandingReplies += p.bdatReplies;
  }

  private void writeData(Part p) throws IOException {
    DotStuffingOutputStream dot = new DotStuffingOutputStream(unflushed);
    if (p.anyRcptAccepted()) {
      try (InputStream in = p.job.content.open()) {
        in.transferTo(dot);
      } catch (SmtpProtocolException e) {
        throw contentFailure(p, e);
      } catch (IOException e) {
        if (e instanceof SmtpClientException) {
          throw e;
        }
        throw contentFailure(p, e);
      }
    } else {
      p.emptyData = true; // RFC 2920 section 3.1: 354 although every RCPT failed
    }
    dot.finish();
    outstandingReplies++;
    p.stage = Stage.FINAL;
  }

  private IOException contentFailure(Part p, Exception e) {
    // the message cannot be ended safely: the connection must go (RFC 5321 has no abort for DATA)
    return new SmtpClientException(
        route.host(), route.port(),
        "reading the message content failed (" + e + "); connection closed without ending the data",
        e);
  }

  private void onReply(Part p, SmtpReply r) throws IOException {
    if (r.code() == 421) {
      closedBy = r;
      return;
    }
    switch (p.stage) {
      case COMMANDS -> onCommandReply(p, r);
      case FINAL -> {
        inFlight.poll();
        p.finalReply = r;
        finish(p);
      }
      case BDAT -> {
        p.bdatSeen++;
        if (r.code() == 354) {
          throw protocolError("354 in reply to BDAT");
        }
        if (!r.isPositive() && p.bdatFailure == null) {
          p.bdatFailure = r;
        }
        if (p.bdatSeen == p.bdatReplies) {
          inFlight.poll();
          p.finalReply = p.bdatFailure != null ? p.bdatFailure : r;
          finish(p);
        }
      }
      default -> throw new IllegalStateException("reply in stage " + p.stage);
    }
  }

  private IOException protocolError(String what) {
    IOException e = new SmtpClientException(
        route.host(), route.port(), "protocol error: " + what + "; connection closed", null);
    broken = e;
    transport.abort();
    return e;
  }

  private void onCommandReply(Part p, SmtpReply r) throws IOException {
    int k = p.repliesSeen++;
    int rcptStart = p.rset ? 2 : 1;
    if (p.rset && k == 0) {
      if (!r.isPositive()) {
        throw protocolError("RSET refused with " + r);
      }
    } else if (k == rcptStart - 1) {
      p.mailReply = r;
      if (r.code() == 354) {
        throw protocolError("354 in reply to MAIL");
      }
    } else if (k < rcptStart + p.indices.size()) {
      p.rcptReplies[k - rcptStart] = r;
      if (r.code() == 354) {
        throw protocolError("354 in reply to RCPT");
      }
      if (p.bdat && k == rcptStart + p.indices.size() - 1) {
        p.stage = Stage.BDAT; // the chunks' replies come next
        return;
      }
    } else {
      // the DATA reply
      p.dataReply = r;
      if (r.code() == 354) {
        if (!p.mailReply.isPositive()) {
          // the server thinks a transaction is open that is not ours (RFC 2920 trap)
          inFlight.poll();
          finish(p);
          throw protocolError("354 to DATA after MAIL was refused (" + p.mailReply + ")");
        }
        writeData(p);
        return;
      }
      if (r.isPositive()) {
        // still in flight: the failure below reports it as not delivered (its future completes)
        throw protocolError("positive reply to DATA without 354: " + r);
      }
      inFlight.poll();
      finish(p);
      return;
    }
    if (p.lockstep) {
      boolean mailDone = k == rcptStart - 1;
      if (mailDone && !r.isPositive()) {
        inFlight.poll();
        finish(p);
        return;
      }
      if (p.nextCommand == p.commands.size() - 1 && !p.anyRcptAccepted()) {
        // every RCPT refused: no DATA; the open transaction is reset before the next one
        inFlight.poll();
        finish(p);
        return;
      }
      writeNextCommand(p);
    }
  }

  /** Records a part's outcome, requeues what must go again, completes its job when all is known. */
  private void finish(Part p) {
    Envelope env = p.job.envelope;
    SmtpReply mail = p.mailReply;
    boolean mailOk = mail != null && mail.isPositive();
    boolean closedByFinal = p.finalReply != null && !p.emptyData && !p.bdat;
    if (p.bdat) {
      closedByFinal = p.finalReply != null && p.finalReply.isPositive();
    }
    if (!closedByFinal && (mailOk || (mail != null && mail.code() == 503))) {
      dirty = true; // RSET before the next transaction
    }
    if (p.emptyData) {
      dirty = dirty || p.finalReply == null || !p.finalReply.isPositive();
    }
    if (mail != null && mail.code() == 503 && p.attempt == 0) {
      // "nested MAIL": a transaction we did not open; reset and try once more (never bounce)
      dirty = true;
      toWrite.addFirst(new Part(p.job, p.indices, 1));
      return;
    }
    List<Integer> again = new ArrayList<>();
    boolean accepted = false;
    for (int j = 0; j < p.indices.size(); j++) {
      int idx = p.indices.get(j);
      Mailbox m = env.recipients().get(idx);
      RecipientResult res;
      if (!mailOk) {
        res = RecipientResult.of(m, mail != null ? mail : missing());
        if (res.accepted()) {
          res = RecipientResult.of(m, missing());
        }
      } else {
        SmtpReply rc = p.rcptReplies[j];
        if (rc == null) {
          res = RecipientResult.of(m, missing());
        } else if (!rc.isPositive()) {
          if (rc.code() == 452 && p.anyRcptAccepted() && p.indices.size() > 1) {
            again.add(idx); // too many recipients: the rest in a new transaction
            continue;
          }
          res = RecipientResult.of(m, rc);
        } else if (p.bdat) {
          res = RecipientResult.of(m, p.finalReply != null ? p.finalReply : missing());
        } else if (p.dataReply != null && p.dataReply.code() != 354) {
          res = RecipientResult.of(m, p.dataReply.isPositive() ? missing() : p.dataReply);
        } else {
          res = RecipientResult.of(m, p.finalReply != null ? p.finalReply : missing());
        }
      }
      accepted |= res.accepted();
      p.job.results[idx] = res;
    }
    if (p.finalReply != null && !p.emptyData) {
      p.job.finalReplies.add(p.finalReply);
    }
    if (accepted) {
      messagesAccepted++;
    }
    if (!again.isEmpty()) {
      toWrite.addFirst(new Part(p.job, again, p.attempt));
    }
    p.job.partDone(again.isEmpty() ? 0 : 1);
  }

  private SmtpReply missing() {
    return synthetic(451, 4, 4, 2, "no reply was received for this recipient");
  }

  private Duration timeoutFor(Part p) {
    if (p.stage == Stage.FINAL) {
      return timeouts.finalDot();
    }
    if (p.stage == Stage.BDAT) {
      return p.bdatSeen + 1 == p.bdatReplies ? timeouts.finalDot() : timeouts.dataBlock();
    }
    int k = p.repliesSeen;
    int rcptStart = p.rset ? 2 : 1;
    if (p.rset && k == 0) {
      return timeouts.command();
    }
    if (k == rcptStart - 1) {
      return timeouts.mail();
    }
    if (k < rcptStart + p.indices.size()) {
      return timeouts.rcpt();
    }
    return timeouts.data();
  }

  // ---------------------------------------------------------------- state

  private enum Stage {
    COMMANDS,
    FINAL,
    BDAT
  }

  /** One message: its parts (transactions) and its future. */
  private final class Job {
    final Envelope envelope;
    final MessageContent content;
    final MessageContent.Info info;
    final CompletableFuture<TransactionResult> future = new CompletableFuture<>();
    final RecipientResult[] results;
    final List<SmtpReply> finalReplies = new ArrayList<>();
    int openParts;
    boolean started;

    Job(Envelope envelope, MessageContent content, MessageContent.Info info) {
      this.envelope = envelope;
      this.content = content;
      this.info = info;
      this.results = new RecipientResult[envelope.recipients().size()];
      int cap = settings.maxRecipientsPerTransaction();
      this.openParts = (envelope.recipients().size() + cap - 1) / cap;
    }

    void partDone(int added) {
      openParts += added - 1;
      if (openParts == 0 && !future.isDone()) {
        TransactionResult tr = new TransactionResult(envelope, List.of(results), finalReplies);
        listener.transactionEnd(route, tr);
        future.complete(tr);
      }
    }

    void failUnwritten(Part p, IOException e) {
      if (!started) {
        if (!future.isDone()) {
          listener.transactionFailed(route, envelope, e);
          future.completeExceptionally(e);
        }
        return;
      }
      // part of a message already under way: its other recipients have results
      SmtpReply lost =
          synthetic(451, 4, 4, 2, "not sent: the connection failed (" + e.getMessage() + ")");
      for (int idx : p.indices) {
        results[idx] = RecipientResult.of(envelope.recipients().get(idx), lost);
      }
      partDone(0);
    }
  }

  /** One SMTP transaction: some of a message's recipients. */
  private final class Part {
    final Job job;
    final List<Integer> indices;
    final int attempt;
    final SmtpReply[] rcptReplies;
    Stage stage = Stage.COMMANDS;
    List<byte[]> commands;
    int nextCommand;
    int repliesSeen;
    boolean rset;
    boolean bdat;
    boolean lockstep;
    boolean emptyData;
    SmtpReply mailReply;
    SmtpReply dataReply;
    SmtpReply finalReply;
    int bdatReplies;
    int bdatSeen;
    SmtpReply bdatFailure;

    Part(Job job, List<Integer> indices, int attempt) {
      this.job = job;
      this.indices = List.copyOf(indices);
      this.attempt = attempt;
      this.rcptReplies = new SmtpReply[indices.size()];
    }

    Duration timeout() {
      return timeoutFor(this);
    }

    boolean anyRcptAccepted() {
      for (SmtpReply r : rcptReplies) {
        if (r != null && r.isPositive()) {
          return true;
        }
      }
      return false;
    }

    /** Whether the session may hold an open transaction after this one (unknown outcome). */
    boolean mayLeaveOpen() {
      return bdat || stage == Stage.COMMANDS;
    }

    void finishBroken(IOException e) {
      SmtpReply lost =
          synthetic(451, 4, 4, 2, "connection lost before the final reply: " + e.getMessage());
      for (int idx : indices) {
        job.results[idx] = RecipientResult.of(job.envelope.recipients().get(idx), lost);
      }
      listener.transactionFailed(route, job.envelope, e);
      job.partDone(0);
    }

    void finishWith421(SmtpReply r) {
      for (int idx : indices) {
        job.results[idx] = RecipientResult.of(job.envelope.recipients().get(idx), r);
      }
      job.partDone(0);
    }
  }

  /** For the pool: the connection's identity in logs. */
  @Override
  public String toString() {
    return "SmtpConnection[" + route + (isUsable() ? "" : ", unusable") + "]";
  }
}
