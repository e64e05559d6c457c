package org.relaymail.relay;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.relaymail.protocol.EnhancedStatus;
import org.relaymail.queue.QueueCounts;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuePage;
import org.relaymail.queue.QueueQuery;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.relay.internal.admin.AdminCodec;
import org.relaymail.relay.internal.admin.AdminLine;
import org.relaymail.relay.internal.admin.AdminProtocol;
import org.relaymail.relay.internal.admin.LineChannel;

/**
 * Administers the queue of a {@link RelayClient} running in another process, through its admin
 * channel: a Unix-domain socket that a relay on a spool directory serves at {@code
 * <spool>/admin.sock} ({@link RelayClient.Builder#adminSocket}). Each method sends one request
 * and returns what the same method of the running {@code RelayClient} returned, as the queue's own
 * value types; its effect is the same (a released message is delivered by that relay, and so on).
 *
 * <pre>{@code
 * try (RelayAdmin admin = RelayAdmin.connect(Path.of("/var/spool/myapp"))) {
 *   for (QueuedMessage m : admin.list(QueueQuery.all()).messages()) { ... }
 *   admin.hold(id);
 * }
 * }</pre>
 *
 * <p>{@link #submit} queues a new message in that relay (what {@code relaymail send --spool} does
 * while a relay runs on the spool).
 *
 * <p>Only the relay's user (or root) may connect: the socket file is {@code rw-------} and the relay
 * checks the peer's credentials. The protocol is line-based and versioned (the first line names the
 * version); every request and answer has a deadline ({@link #connectSocket(Path, Duration)}).
 *
 * <p>Thread-safe: one connection, one request at a time (calls from several threads wait for each
 * other).
 */
public final class RelayAdmin implements QueueAdministration, AutoCloseable {
  /** The admin socket's file name in a spool directory. */
  public static final String SOCKET_NAME = "admin.sock";
  /** The deadline of each request when none is given: 30 seconds. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private final Path socket;
  private final LineChannel io;
  private final long timeoutNanos;
  private String broken;

  private RelayAdmin(Path socket, LineChannel io, Duration timeout) {
    this.socket = socket;
    this.io = io;
    this.timeoutNanos = timeout.toNanos();
  }

  /**
   * The admin socket of the relay that runs on a spool directory.
   *
   * @param spoolDirectory the spool
   * @return {@code spoolDirectory/admin.sock}
   */
  public static Path defaultSocket(Path spoolDirectory) {
    return Objects.requireNonNull(spoolDirectory, "spoolDirectory").resolve(SOCKET_NAME);
  }

  /**
   * Connects to the relay running on a spool directory, with the {@link #DEFAULT_TIMEOUT}.
   *
   * @param spoolDirectory the spool the relay holds
   * @return the connection
   * @throws ConnectException if no relay answers on {@code spoolDirectory/admin.sock} (no relay
   *     runs there, or its admin channel is off)
   * @throws RelayAdminException if the relay refuses the connection (another user, another
   *     protocol version, too many admin connections)
   * @throws IOException on another failure
   */
  public static RelayAdmin connect(Path spoolDirectory) throws IOException {
    return connectSocket(defaultSocket(spoolDirectory), DEFAULT_TIMEOUT);
  }

  /**
   * Connects to a relay's admin socket.
   *
   * @param socket the socket file
   * @param timeout the deadline of the hello and of each request's answer; positive
   * @return the connection
   * @throws ConnectException if nothing answers on the socket
   * @throws RelayAdminException if the relay refuses the connection
   * @throws IOException on another failure
   * @throws IllegalArgumentException if the timeout is not positive
   */
  public static RelayAdmin connectSocket(Path socket, Duration timeout) throws IOException {
    Objects.requireNonNull(socket, "socket");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    SocketChannel ch;
    try {
      ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    } catch (UnsupportedOperationException e) {
      throw (ConnectException) new ConnectException("this platform has no Unix-domain sockets for the admin channel")
          .initCause(e);
    }
    try {
      ch.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      ch.close();
      throw (ConnectException) new ConnectException("no relay answers on the admin socket " + socket + " ("
          + e.getMessage() + ")").initCause(e);
    }
    LineChannel io = new LineChannel(ch);
    RelayAdmin admin = new RelayAdmin(socket, io, timeout);
    try {
      admin.hello();
    } catch (RelayAdminException | RuntimeException e) {
      io.close();
      throw e;
    } catch (IOException e) {
      io.close();
      throw admin.channelFailure(e);
    }
    return admin;
  }

  private void hello() throws IOException {
    long deadline = System.nanoTime() + timeoutNanos;
    io.writeLines(List.of(AdminLine.of(AdminProtocol.MAGIC).put("version", AdminProtocol.VERSION).build().encode()),
        deadline);
    AdminLine answer = readStatus(deadline);
    if (answer.word().equals(AdminProtocol.ERR)) {
      throw relayError(answer);
    }
  }

  /**
   * The socket this connection uses.
   *
   * @return the socket file
   */
  public Path socket() {
    return socket;
  }

  @Override
  public QueuePage list(QueueQuery query) throws IOException {
    List<AdminLine> data = request(AdminCodec.list(Objects.requireNonNull(query, "query")));
    try {
      List<QueuedMessage> messages = new ArrayList<>();
      Optional<QueueId> next = Optional.empty();
      int i = 0;
      while (i < data.size()) {
        AdminLine l = data.get(i);
        if (l.word().equals(AdminProtocol.MESSAGE)) {
          QueuedMessage m = AdminCodec.message(data, i);
          messages.add(m);
          i += 1 + m.recipients().size();
        } else if (l.word().equals(AdminProtocol.NEXT)) {
          next = Optional.of(new QueueId(l.require("id")));
          i++;
        } else {
          throw new IllegalArgumentException("unexpected '" + l.word() + "' line in a list answer");
        }
      }
      return new QueuePage(messages, next);
    } catch (IllegalArgumentException e) {
      throw protocolError("the relay's list answer is malformed: " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<QueuedMessage> inspect(QueueId id) throws IOException {
    List<AdminLine> data = request(one(AdminProtocol.INSPECT, id));
    if (data.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(AdminCodec.message(data, 0));
    } catch (IllegalArgumentException e) {
      throw protocolError("the relay's inspect answer is malformed: " + e.getMessage(), e);
    }
  }

  @Override
  public QueueCounts counts() throws IOException {
    List<AdminLine> data = request(AdminLine.of(AdminProtocol.COUNTS).build());
    try {
      if (data.size() != 1) {
        throw new IllegalArgumentException(data.size() + " lines instead of 1");
      }
      return AdminCodec.counts(data.get(0));
    } catch (IllegalArgumentException e) {
      throw protocolError("the relay's counts answer is malformed: " + e.getMessage(), e);
    }
  }

  @Override
  public boolean hold(QueueId id) throws IOException {
    return found(request(one(AdminProtocol.HOLD, id)));
  }

  @Override
  public boolean release(QueueId id) throws IOException {
    return found(request(one(AdminProtocol.RELEASE, id)));
  }

  @Override
  public boolean retryNow(QueueId id) throws IOException {
    return found(request(one(AdminProtocol.RETRY, id)));
  }

  @Override
  public int retryAllNow() throws IOException {
    List<AdminLine> data = request(AdminLine.of(AdminProtocol.RETRY_ALL).build());
    try {
      return AdminCodec.integer(result(data).require("count"), "count");
    } catch (IllegalArgumentException e) {
      throw protocolError("the relay's retry-all answer is malformed: " + e.getMessage(), e);
    }
  }

  @Override
  public boolean delete(QueueId id) throws IOException {
    return found(request(one(AdminProtocol.DELETE, id)));
  }

  @Override
  public boolean bounce(QueueId id) throws IOException {
    return found(request(one(AdminProtocol.BOUNCE, id)));
  }

  /**
   * A message's header section as the relay will send it (the relay's Received field included),
   * decoded as UTF-8, at most the first 64 KiB of the content.
   *
   * @param id the message
   * @return the header fields, each ended by CRLF, or empty when there is no such message
   * @throws IOException on a failure of the relay's store or of the channel
   */
  public Optional<String> headerSection(QueueId id) throws IOException {
    List<AdminLine> data = request(one(AdminProtocol.HEADERS, id));
    if (data.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(data.get(0).require("text"));
    } catch (IllegalArgumentException e) {
      throw protocolError("the relay's headers answer is malformed: " + e.getMessage(), e);
    }
  }

  /**
   * Queues a message in the relay, which takes it as its own {@link RelayClient#send} does
   * (validation, preparation with its Received field, durable enqueue) and delivers it. The
   * envelope (sender, recipients with their DSN NOTIFY and ORCPT, RET, ENVID; RFC 3461 section 4)
   * travels on the request line, the content as raw bytes after the relay has accepted the size.
   *
   * @param message the message; its content is read into memory once
   * @return the message's id in the relay's queue
   * @throws InvalidMessageException if the relay refuses the message as bad input (its message
   *     names the rule; the status is the relay's RFC 3463 code)
   * @throws IllegalArgumentException if the envelope does not fit in one request line (64 KiB)
   * @throws RelayAdminException if the relay refuses otherwise: code {@code too-large} when the
   *     message exceeds the relay's maximum message size, {@code unknown-operation} from a relay
   *     too old to take submissions, {@code io} when its store fails, or the channel fails
   * @throws IOException if the content cannot be read
   */
  public QueueId submit(OutgoingMessage message) throws IOException {
    Objects.requireNonNull(message, "message");
    byte[] content;
    try (java.io.InputStream in = message.content().open()) {
      content = in.readAllBytes();
    }
    String line = AdminCodec.submit(message, content.length).encode();
    if (line.length() + 1 > AdminProtocol.MAX_REQUEST_LINE) {
      throw new IllegalArgumentException("the envelope of " + message.recipients().size() + " recipients takes "
          + line.length() + " bytes; a submit request line is at most " + AdminProtocol.MAX_REQUEST_LINE
          + " bytes (submit in smaller batches)");
    }
    synchronized (this) {
      checkUsable();
      AdminLine status;
      List<String> raw = null;
      try {
        long deadline = System.nanoTime() + timeoutNanos;
        io.writeLines(List.of(line), deadline);
        String first = io.readLine(AdminProtocol.MAX_RESPONSE_LINE, deadline);
        if (first == null) {
          throw new RelayAdminException("closed", "the relay closed the admin connection " + socket);
        }
        AdminLine ready = parseLine(first);
        if (ready.word().equals(AdminProtocol.READY)) {
          deadline = System.nanoTime() + timeoutNanos;
          io.write(content, deadline);
          status = readStatus(deadline);
          if (status.word().equals(AdminProtocol.OK)) {
            raw = io.readLines(1, AdminProtocol.MAX_RESPONSE_LINE, deadline);
          }
        } else if (ready.word().equals(AdminProtocol.ERR)) {
          status = ready;
        } else {
          throw protocolError("expected READY or ERR from the relay, got '" + ready.word() + "'", null);
        }
      } catch (IOException | RuntimeException e) {
        broken = e.toString();
        io.close();
        if (e instanceof RelayAdminException || e instanceof RuntimeException) {
          throw e;
        }
        throw channelFailure((IOException) e);
      }
      if (raw == null) {
        if (status.get("code").orElse("").equals(AdminProtocol.ERR_INVALID_MESSAGE)) {
          EnhancedStatus st;
          try {
            st = EnhancedStatus.parse(status.get("status").orElse("5.6.0"));
          } catch (IllegalArgumentException e) {
            st = EnhancedStatus.of(5, 6, 0);
          }
          throw new InvalidMessageException(st, status.get("message").orElse("the relay refused the message"), null);
        }
        if (status.get("code").orElse("").equals(AdminProtocol.ERR_UNKNOWN)) {
          throw new RelayAdminException(AdminProtocol.ERR_UNKNOWN, "the relay on " + socket
              + " is too old to take submissions on its admin channel (" + status.get("message").orElse("") + ")");
        }
        throw relayError(status);
      }
      try {
        AdminLine result = parseLine(raw.get(0));
        return new QueueId(result(List.of(result)).require("id"));
      } catch (IllegalArgumentException e) {
        throw protocolError("the relay's submit answer is malformed: " + e.getMessage(), e);
      }
    }
  }

  private AdminLine parseLine(String raw) throws RelayAdminException {
    try {
      return AdminLine.parse(raw);
    } catch (IllegalArgumentException e) {
      throw protocolError("the relay sent a malformed line: " + e.getMessage(), e);
    }
  }

  private void checkUsable() throws RelayAdminException {
    if (broken != null) {
      throw new RelayAdminException("closed", "the admin connection to " + socket + " failed earlier (" + broken
          + "); connect again");
    }
  }

  /** Closes the connection. Idempotent. */
  @Override
  public synchronized void close() throws IOException {
    io.close();
  }

  // ---------------------------------------------------------------- framing

  private static AdminLine one(String op, QueueId id) {
    return AdminLine.of(op).put("id", Objects.requireNonNull(id, "id").value()).build();
  }

  private boolean found(List<AdminLine> data) throws IOException {
    try {
      return AdminCodec.bool(result(data).require("found"), "found");
    } catch (IllegalArgumentException e) {
      throw protocolError("the relay's answer is malformed: " + e.getMessage(), e);
    }
  }

  private static AdminLine result(List<AdminLine> data) {
    if (data.size() != 1 || !data.get(0).word().equals(AdminProtocol.RESULT)) {
      throw new IllegalArgumentException("expected one result line, got " + data);
    }
    return data.get(0);
  }

  private synchronized List<AdminLine> request(AdminLine req) throws IOException {
    if (broken != null) {
      throw new RelayAdminException("closed", "the admin connection to " + socket + " failed earlier (" + broken
          + "); connect again");
    }
    AdminLine status;
    List<String> raw = null;
    try {
      long deadline = System.nanoTime() + timeoutNanos;
      io.writeLines(List.of(req.encode()), deadline);
      status = readStatus(deadline);
      if (status.word().equals(AdminProtocol.OK)) {
        int n;
        try {
          n = AdminCodec.integer(status.require("lines"), "lines");
        } catch (IllegalArgumentException e) {
          throw protocolError("the relay's answer has no line count: " + status, e);
        }
        if (n < 0 || n > AdminProtocol.MAX_RESPONSE_LINES) {
          throw protocolError("the relay announces " + n + " lines", null);
        }
        raw = io.readLines(n, AdminProtocol.MAX_RESPONSE_LINE, deadline);
      }
    } catch (IOException | RuntimeException e) {
      // the conversation is out of step: no further request on this connection
      broken = e.toString();
      io.close();
      if (e instanceof RelayAdminException || e instanceof RuntimeException) {
        throw e;
      }
      throw channelFailure((IOException) e);
    }
    if (raw == null) {
      throw relayError(status);
    }
    List<AdminLine> out = new ArrayList<>(raw.size());
    for (String r : raw) {
      try {
        out.add(AdminLine.parse(r));
      } catch (IllegalArgumentException e) {
        throw protocolError("the relay sent a malformed line: " + e.getMessage(), e);
      }
    }
    return out;
  }

  private RelayAdminException channelFailure(IOException e) {
    return new RelayAdminException(e instanceof SocketTimeoutException ? "timeout" : "closed",
        "the admin connection to " + socket + " failed: " + e.getMessage(), e);
  }

  /** Reads an OK or ERR line. */
  private AdminLine readStatus(long deadline) throws IOException {
    String raw = io.readLine(AdminProtocol.MAX_RESPONSE_LINE, deadline);
    if (raw == null) {
      throw new RelayAdminException("closed", "the relay closed the admin connection " + socket);
    }
    AdminLine l;
    try {
      l = AdminLine.parse(raw);
    } catch (IllegalArgumentException e) {
      throw protocolError("the relay sent a malformed line: " + e.getMessage(), e);
    }
    if (!l.word().equals(AdminProtocol.ERR) && !l.word().equals(AdminProtocol.OK)) {
      throw protocolError("expected OK or ERR from the relay, got '" + l.word() + "'", null);
    }
    return l;
  }

  /** An ERR line as the exception carrying the relay's code and message. */
  private static RelayAdminException relayError(AdminLine err) {
    return new RelayAdminException(err.get("code").orElse(AdminProtocol.ERR_INTERNAL),
        err.get("message").orElse("the relay reported an error without a message"));
  }

  private RelayAdminException protocolError(String message, Throwable cause) {
    return new RelayAdminException("protocol", message + " (admin socket " + socket + ")", cause);
  }
}
