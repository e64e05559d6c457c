package org.relaymail.client.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.apache.commons.net.smtp.SMTPSClient;
import org.relaymail.client.Route;
import org.relaymail.client.SmtpClientException;
import org.relaymail.client.SmtpTimeoutException;
import org.relaymail.client.SmtpTlsException;
import org.relaymail.protocol.ReplyDecoder;
import org.relaymail.protocol.SmtpProtocolException;
import org.relaymail.protocol.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The socket under one SMTP conversation: Commons Net's {@link SMTPSClient} gives the connect with
 * timeout, local bind address, SOCKS proxy, implicit TLS and the STARTTLS upgrade; everything else
 * is ours. Replies are read with the codec's {@link ReplyDecoder} straight from the socket's input
 * stream (Commons Net's {@code getReply()} is replaced: it buffers without limit and misreads some
 * replies); commands and content are written as bytes to the socket's output stream, in one flush
 * per pipelined group. Writes are guarded by a watchdog that closes the socket when a write stalls
 * past its deadline (Java sockets have no write timeout).
 *
 * <p>Not thread-safe, except {@link #abort()}, which any thread may call.
 */
public final class SmtpTransport extends SMTPSClient {
  private static final Logger LOG = LoggerFactory.getLogger(SmtpTransport.class);
  private static final int BUFFER = 64 * 1024;

  /** One daemon thread for every connection's write deadlines; it ends when idle. */
  private static final ScheduledThreadPoolExecutor WATCHDOG = newWatchdog();

  private final Route route;
  private final String sniHost;
  private final ReplyDecoder decoder = new ReplyDecoder();
  private final ArrayDeque<SmtpReply> pending = new ArrayDeque<>();
  private final byte[] readBuffer = new byte[BUFFER];
  private boolean lastChunkEndedLine = true;
  private SmtpReply greeting;
  private GuardedOutputStream out;
  private volatile boolean aborted;
  private volatile String abortReason;

  /**
   * Creates an unconnected transport.
   *
   * @param route where to connect
   * @param sslContext for TLS (implicit or STARTTLS)
   * @param verify whether to verify the server's host name against its certificate
   * @param greetingTimeout how long to wait for the greeting
   */
  public SmtpTransport(
      Route route, SSLContext sslContext, boolean verify, Duration greetingTimeout) {
    super(route.tlsMode().isImplicit(), sslContext);
    this.route = route;
    this.sniHost = route.tlsName();
    this.replyTimeout = greetingTimeout;
    setEndpointCheckingEnabled(verify);
  }

  /**
   * An SSL context that trusts every certificate: for opportunistic and required-but-unverified
   * STARTTLS (encryption against passive eavesdropping only, RFC 7435).
   *
   * @return the context
   */
  public static SSLContext trustAllContext() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {new TrustAll()}, null);
      return ctx;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no TLS SSLContext", e);
    }
  }

  /** Trusts every certificate; used only where the TLS mode says not to verify. */
  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
      // server side only; never called for a client socket
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      // deliberately accepting: the route's TLS mode does not ask for verification
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  private static ScheduledThreadPoolExecutor newWatchdog() {
    ScheduledThreadPoolExecutor ex =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "relaymail-smtp-write-watchdog");
              t.setDaemon(true);
              return t;
            });
    ex.setKeepAliveTime(10, TimeUnit.SECONDS);
    ex.allowCoreThreadTimeOut(true);
    ex.setRemoveOnCancelPolicy(true);
    return ex;
  }

  /**
   * Connects, does the implicit TLS handshake when the route says so, and reads the greeting.
   *
   * @param connectTimeout TCP connect and TLS handshake timeout
   * @param tcpNoDelay whether to disable Nagle's algorithm
   * @throws IOException on failure (the socket is closed)
   */
  public void open(Duration connectTimeout, boolean tcpNoDelay) throws IOException {
    setConnectTimeout((int) connectTimeout.toMillis());
    setDefaultTimeout((int) connectTimeout.toMillis());
    if (route.proxy().type() != java.net.Proxy.Type.DIRECT) {
      setProxy(route.proxy());
    }
    this.tcpNoDelay = tcpNoDelay;
    try {
      if (route.localAddress().isPresent()) {
        connect(route.host(), route.port(), route.localAddress().get(), 0);
      } else {
        connect(route.host(), route.port());
      }
    } catch (SSLException e) {
      closeQuietly();
      throw tlsFailure("implicit TLS handshake failed", e);
    } catch (SocketTimeoutException e) {
      closeQuietly();
      throw new SmtpTimeoutException(
          route.host(), route.port(), "no greeting (or TLS handshake) within the timeout", e);
    } catch (SmtpClientException e) {
      closeQuietly();
      throw e;
    } catch (IOException e) {
      closeQuietly();
      throw new SmtpClientException(
          route.host(), route.port(), "cannot connect: " + e.getMessage(), e);
    }
  }

  private boolean tcpNoDelay = true;
  private boolean quickAck = QUICK_ACK;
  private static final boolean QUICK_ACK = !Boolean.getBoolean("relaymail.noQuickAck");

  /**
   * Asks Linux to acknowledge what arrives at once (TCP_QUICKACK; the kernel clears it again by
   * itself, so it is set before every blocking read). A server that sends a pipelined group's
   * replies in several writes with Nagle's algorithm on (Postfix smtpd flushes its replies before
   * it reads a BDAT chunk) holds back the later ones until the earlier ones are acknowledged;
   * without this, our delayed ACK (up to 40 ms) stalls the window. Ignored where unsupported.
   */
  private void quickAck() {
    if (!quickAck) {
      return;
    }
    try {
      _socket_.setOption(jdk.net.ExtendedSocketOptions.TCP_QUICKACK, Boolean.TRUE);
    } catch (UnsupportedOperationException | IOException e) {
      quickAck = false;
      LOG.debug("{}: TCP_QUICKACK not available: {}", route, e.toString());
    }
  }

  @Override
  protected void _connectAction_() throws IOException {
    // SNI and host name verification need the name, also when connecting by address
    _hostname_ = sniHost;
    _socket_.setTcpNoDelay(tcpNoDelay);
    super._connectAction_(); // implicit TLS if configured, then our getReply() for the greeting
  }

  /**
   * Replaces Commons Net's reply reader: reads one reply with the codec's decoder. Commons Net calls
   * it for the greeting (during connect) and for STARTTLS (in {@link #execTLS()}).
   */
  @Override
  public int getReply() throws IOException {
    SmtpReply r = readReply(replyTimeout);
    if (greeting == null) {
      greeting = r;
    }
    lastReply = r;
    if (startTlsPending && r.code() / 100 == 2 && hasBufferedInput()) {
      throw new SmtpTlsException(
          route.host(),
          route.port(),
          "the server sent data after its STARTTLS reply (a command injection attempt); closing",
          null);
    }
    return r.code();
  }

  private Duration replyTimeout;
  private SmtpReply lastReply;
  private boolean startTlsPending;

  /** @return the greeting read during connect */
  public SmtpReply greeting() {
    return greeting;
  }

  /**
   * Reads the next reply.
   *
   * @param timeout how long it may take in total
   * @return the reply
   * @throws IOException on a closed connection, a timeout or a malformed reply
   */
  public SmtpReply readReply(Duration timeout) throws IOException {
    SmtpReply r = pending.poll();
    if (r != null) {
      return r;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      if (left <= 0) {
        throw timeout("no reply within " + timeout, null);
      }
      _socket_.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left)));
      quickAck();
      int n;
      try {
        n = _input_.read(readBuffer);
      } catch (SocketTimeoutException e) {
        throw timeout("no reply within " + timeout, e);
      } catch (IOException e) {
        throw ioFailure("reading a reply failed", e);
      }
      if (n < 0) {
        throw new SmtpClientException(
            route.host(), route.port(), "the server closed the connection", null);
      }
      if (n == 0) {
        continue;
      }
      List<SmtpReply> replies;
      try {
        replies = decoder.feed(readBuffer, 0, n);
      } catch (SmtpProtocolException e) {
        throw new SmtpClientException(
            route.host(), route.port(), "malformed reply: " + e.getMessage(), e);
      }
      lastChunkEndedLine = readBuffer[n - 1] == '\n';
      if (!replies.isEmpty()) {
        pending.addAll(replies);
        return pending.poll();
      }
    }
  }

  /**
   * @return whether a reply or part of one is already buffered (after STARTTLS this would be an
   *     injection attempt: CVE-2011-0411 class)
   */
  public boolean hasBufferedInput() {
    return !pending.isEmpty() || !lastChunkEndedLine || decoder.hasPartialReply();
  }

  /**
   * Sends STARTTLS, reads its reply and does the handshake (Commons Net's {@code execTLS()}, with
   * the reply read by our decoder and the SNI host name set).
   *
   * @param timeout the STARTTLS reply and handshake timeout
   * @return the STARTTLS reply when it was not positive (then no handshake was done), else
   *     {@code null}
   * @throws IOException when the handshake fails ({@link SmtpTlsException}) or the connection breaks
   */
  public SmtpReply startTls(Duration timeout) throws IOException {
    flush();
    out = null;
    replyTimeout = timeout;
    _socket_.setSoTimeout((int) timeout.toMillis());
    _hostname_ = sniHost;
    startTlsPending = true;
    boolean ok;
    try {
      ok = execTLS();
    } catch (SSLException e) {
      throw tlsFailure("STARTTLS handshake failed", e);
    } catch (SocketTimeoutException e) {
      throw timeout("STARTTLS did not finish within " + timeout, e);
    } finally {
      startTlsPending = false;
    }
    return ok ? null : lastReply;
  }

  private SmtpClientException tlsFailure(String what, SSLException e) {
    String msg = what + ": " + e.getMessage();
    String lower = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
    if (lower.contains("protocol") || lower.contains("handshake_failure")) {
      msg +=
          " (note: JDK 17 and later refuse TLS 1.0 and 1.1; a server that offers only those cannot"
              + " be reached with TLS)";
    }
    return new SmtpTlsException(route.host(), route.port(), msg, e);
  }

  /** @return a description of the negotiated TLS session, or {@code null} when not encrypted */
  public javax.net.ssl.SSLSession tlsSession() {
    return _socket_ instanceof SSLSocket ? ((SSLSocket) _socket_).getSession() : null;
  }

  /** @return whether the connection is encrypted */
  public boolean isEncrypted() {
    return _socket_ instanceof SSLSocket;
  }

  /** @return the server's socket address */
  public InetSocketAddress remote() {
    return (InetSocketAddress) _socket_.getRemoteSocketAddress();
  }

  /** @return the socket */
  public Socket socket() {
    return _socket_;
  }

  /** @return the raw input stream (for tests of the reader) */
  public InputStream input() {
    return _input_;
  }

  /**
   * Writes bytes into the group being built; nothing reaches the network before {@link #flush}
   * (or a full buffer).
   *
   * @param b the bytes
   * @throws IOException when the connection is broken
   */
  public void write(byte[] b) throws IOException {
    write(b, 0, b.length);
  }

  /**
   * Writes part of an array.
   *
   * @param b bytes
   * @param off offset
   * @param len length
   * @throws IOException when the connection is broken
   */
  public void write(byte[] b, int off, int len) throws IOException {
    stream().write(b, off, len);
  }

  /**
   * The output stream for content: buffered, guarded by the write deadline.
   *
   * @return the stream (do not close it)
   */
  public OutputStream stream() {
    if (out == null) {
      out = new GuardedOutputStream(_output_);
    }
    return out;
  }

  /**
   * Sets how long one write may block before the watchdog closes the socket.
   *
   * @param timeout the data block timeout
   */
  public void writeTimeout(Duration timeout) {
    writeTimeoutNanos = timeout.toNanos();
  }

  private long writeTimeoutNanos = TimeUnit.MINUTES.toNanos(3);

  /**
   * Sends everything buffered.
   *
   * @throws IOException when the connection is broken or the write stalled past its deadline
   */
  public void flush() throws IOException {
    if (out != null) {
      out.flush();
    }
  }

  /**
   * @return whether the socket is connected and not closed (Commons Net's {@code isConnected()}
   *     stays true after the socket was closed, e.g. by {@link #abort()})
   */
  public boolean isOpen() {
    Socket s = _socket_;
    return s != null && s.isConnected() && !s.isClosed() && !aborted;
  }

  /** Closes the socket at once; safe from any thread. */
  public void abort() {
    aborted = true;
    closeQuietly();
  }

  /** Closes the socket at once; never throws. */
  public void closeQuietly() {
    try {
      Socket s = _socket_;
      if (s != null) {
        s.close();
      }
    } catch (IOException e) {
      LOG.debug("closing the socket to {} failed", route, e);
    }
  }

  private SmtpClientException timeout(String msg, Throwable cause) {
    return new SmtpTimeoutException(route.host(), route.port(), msg, cause);
  }

  private SmtpClientException ioFailure(String what, IOException e) {
    if (abortReason != null) {
      return new SmtpTimeoutException(route.host(), route.port(), abortReason, e);
    }
    if (aborted) {
      return new SmtpClientException(route.host(), route.port(), "connection aborted", e);
    }
    return new SmtpClientException(route.host(), route.port(), what + ": " + e.getMessage(), e);
  }

  /** A buffered stream whose writes to the socket are bounded by a deadline. */
  private final class GuardedOutputStream extends OutputStream {
    private final OutputStream socketOut;
    private final byte[] buf = new byte[BUFFER];
    private int count;

    GuardedOutputStream(OutputStream socketOut) {
      this.socketOut = socketOut;
    }

    @Override
    public void write(int b) throws IOException {
      if (count == buf.length) {
        drain();
      }
      buf[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (len >= buf.length) {
        drain();
        guarded(b, off, len);
        return;
      }
      if (len > buf.length - count) {
        drain();
      }
      System.arraycopy(b, off, buf, count, len);
      count += len;
    }

    @Override
    public void flush() throws IOException {
      drain();
    }

    private void drain() throws IOException {
      if (count > 0) {
        guarded(buf, 0, count);
        count = 0;
      }
    }

    private void guarded(byte[] b, int off, int len) throws IOException {
      long timeoutNanos = writeTimeoutNanos;
      ScheduledFuture<?> alarm =
          WATCHDOG.schedule(
              () -> {
                abortReason =
                    "a write of " + len + " bytes did not complete within "
                        + Duration.ofNanos(timeoutNanos) + " (the server stopped reading)";
                LOG.debug("{}: {}", route, abortReason);
                abort();
              },
              timeoutNanos,
              TimeUnit.NANOSECONDS);
      try {
        socketOut.write(b, off, len);
        socketOut.flush();
      } catch (IOException e) {
        throw ioFailure("writing failed", e);
      } finally {
        alarm.cancel(false);
      }
    }
  }
}
