package org.relaymail.relay.internal.admin;

import java.io.Closeable;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.relaymail.protocol.InvalidAddressException;
import org.relaymail.relay.OutgoingMessage;
import org.relaymail.relay.QueueAdministration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's side of the admin channel: a Unix-domain socket (local by nature, no TCP) answering
 * {@link AdminProtocol} requests with {@link AdminOperations}.
 *
 * <ul>
 *   <li><b>Owner only.</b> The socket file is made {@code rw-------} right after bind, before the
 *       first accept, and the server refuses to start when it cannot do so; each accepted peer's
 *       credentials ({@code SO_PEERCRED}) must name the socket's owner (or root), which also closes
 *       the moment between bind and the permission change.
 *   <li><b>Stale socket.</b> A socket file left by a crashed process is removed when nothing answers
 *       on it; one that answers means another relay serves there, and the server refuses to start.
 *   <li><b>Bounded.</b> Request lines of at most {@link AdminProtocol#MAX_REQUEST_LINE} bytes; at
 *       most {@link Settings#maxConnections} connections, each on its own daemon thread; every read
 *       and write has a deadline ({@link LineChannel}), so a stuck client cannot keep a thread.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class AdminServer implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
  /** The longest socket path the kernel takes: {@code sun_path} is 108 bytes with the final NUL. */
  public static final int MAX_PATH_BYTES = 107;
  /** How long a closing connection waits for the peer to finish sending. */
  private static final Duration LINGER = Duration.ofSeconds(1);

  /**
   * Limits of the server.
   *
   * @param maxConnections connections served at once; more are answered {@code ERR busy}
   * @param idleTimeout how long a connection may wait before its next request (and its hello)
   * @param requestTimeout how long reading the rest of a request and writing its response may take
   */
  public record Settings(int maxConnections, Duration idleTimeout, Duration requestTimeout) {
    /** Checks the limits. */
    public Settings {
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections must be at least 1: " + maxConnections);
      }
      Objects.requireNonNull(idleTimeout, "idleTimeout");
      Objects.requireNonNull(requestTimeout, "requestTimeout");
      if (idleTimeout.isNegative() || idleTimeout.isZero() || requestTimeout.isNegative() || requestTimeout.isZero()) {
        throw new IllegalArgumentException("timeouts must be positive: " + idleTimeout + ", " + requestTimeout);
      }
    }

    /** @return 8 connections, 60 s idle, 30 s per request */
    public static Settings defaults() {
      return new Settings(8, Duration.ofSeconds(60), Duration.ofSeconds(30));
    }
  }

  /**
   * The admin socket cannot exist here (path too long, no Unix-domain sockets, no POSIX
   * permissions to secure it): a limit of the platform or the path, not a fault of the relay.
   */
  public static final class UnsupportedHereException extends IOException {
    private static final long serialVersionUID = 1L;

    UnsupportedHereException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final Path path;
  private final ServerSocketChannel server;
  private final AdminRequests requests;
  private final Settings settings;
  private final String owner;
  private final Thread acceptor;
  private final AtomicInteger threadIds = new AtomicInteger();
  private final Set<Connection> live = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private AdminServer(Path path, ServerSocketChannel server, AdminRequests requests, Settings settings, String owner) {
    this.path = path;
    this.server = server;
    this.requests = requests;
    this.settings = settings;
    this.owner = owner;
    this.acceptor = new Thread(this::acceptLoop, "relaymail-admin-accept");
    acceptor.setDaemon(true);
  }

  /**
   * {@link #start(Path, QueueAdministration, AdminOperations, Settings)} with both served by one
   * object (test doubles).
   *
   * @param socket the socket file's path
   * @param both the queue administration and the rest
   * @param settings the limits
   * @param <T> a type that is both
   * @return the running server
   * @throws IOException as the four-argument form
   */
  public static <T extends QueueAdministration & AdminOperations> AdminServer start(Path socket, T both,
      Settings settings) throws IOException {
    return start(socket, both, both, settings);
  }

  /**
   * Binds the socket, restricts it to its owner and starts accepting.
   *
   * @param socket the socket file's path (its directory must exist)
   * @param queue the queue administration to serve
   * @param ops the rest to serve (headers, submission)
   * @param settings the limits
   * @return the running server
   * @throws UnsupportedHereException if the path is too long, or the platform has no Unix-domain
   *     sockets or no POSIX permissions
   * @throws IOException if a non-socket file is in the way, another process answers on the socket,
   *     or binding or restricting the socket fails
   */
  public static AdminServer start(Path socket, QueueAdministration queue, AdminOperations ops, Settings settings)
      throws IOException {
    Objects.requireNonNull(socket, "socket");
    AdminRequests requests = new AdminRequests(queue, ops);
    Objects.requireNonNull(settings, "settings");
    checkLength(socket);
    removeStale(socket);
    ServerSocketChannel ch;
    try {
      ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    } catch (UnsupportedOperationException e) {
      throw new UnsupportedHereException("this platform has no Unix-domain sockets for the admin channel", e);
    }
    String owner;
    try {
      ch.bind(UnixDomainSocketAddress.of(socket), 16);
      owner = secure(socket);
    } catch (IOException | RuntimeException e) {
      ch.close();
      Files.deleteIfExists(socket);
      throw e;
    }
    AdminServer s = new AdminServer(socket, ch, requests, settings, owner);
    s.acceptor.start();
    LOG.info("admin channel listening on {} (owner {} only)", socket, owner);
    return s;
  }

  /**
   * Checks that a socket path fits the kernel's {@code sun_path}.
   *
   * @param socket the path
   * @throws UnsupportedHereException if it does not
   */
  public static void checkLength(Path socket) throws UnsupportedHereException {
    int n = socket.toString().getBytes(StandardCharsets.UTF_8).length;
    if (n > MAX_PATH_BYTES) {
      throw new UnsupportedHereException("the admin socket path " + socket + " is " + n + " bytes long; a Unix-domain"
          + " socket path is at most " + MAX_PATH_BYTES + " bytes", null);
    }
  }

  private static void removeStale(Path socket) throws IOException {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (java.nio.file.NoSuchFileException e) {
      return;
    }
    if (!a.isOther()) {
      throw new IOException("cannot serve the admin channel at " + socket + ": a "
          + (a.isDirectory() ? "directory" : a.isSymbolicLink() ? "symbolic link" : "regular file")
          + " is in the way (not a socket); remove it or choose another path");
    }
    boolean answers;
    try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      answers = probe.isConnected();
    } catch (IOException e) {
      LOG.info("removing the stale admin socket {} (nothing answers: {})", socket, e.toString());
      answers = false;
    }
    if (answers) {
      throw new IOException("another process already serves an admin channel at " + socket
          + " (is another relay running on this spool?)");
    }
    Files.deleteIfExists(socket);
  }

  private static String secure(Path socket) throws IOException {
    Set<PosixFilePermission> ownerOnly = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    try {
      Files.setPosixFilePermissions(socket, ownerOnly);
      Set<PosixFilePermission> now = Files.getPosixFilePermissions(socket, LinkOption.NOFOLLOW_LINKS);
      if (!ownerOnly.containsAll(now)) {
        throw new IOException("cannot restrict the admin socket " + socket + " to its owner: its permissions are "
            + PosixFilePermissions.toString(now) + " after setting rw-------");
      }
    } catch (UnsupportedOperationException e) {
      throw new UnsupportedHereException("cannot restrict the admin socket " + socket
          + " to its owner: the file system has no POSIX permissions", e);
    }
    UserPrincipal user = Files.getOwner(socket, LinkOption.NOFOLLOW_LINKS);
    return user.getName();
  }

  /** @return the socket file */
  public Path path() {
    return path;
  }

  private void acceptLoop() {
    while (!closed) {
      SocketChannel ch;
      try {
        ch = server.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (closed) {
          return;
        }
        LOG.warn("admin channel: accept failed; the channel stops", e);
        return;
      }
      Connection c;
      try {
        c = new Connection(new LineChannel(ch));
      } catch (IOException e) {
        LOG.warn("admin channel: cannot set up a connection", e);
        closeQuietly(ch);
        continue;
      }
      // refused here, on the accept thread (at most about a second each, see finish()), so that a
      // burst of connections never costs more threads than the cap
      if (live.size() >= settings.maxConnections()) {
        c.refuse(AdminProtocol.ERR_BUSY, "the relay serves at most " + settings.maxConnections()
            + " admin connections at once; try again");
        continue;
      }
      live.add(c);
      if (closed) {
        live.remove(c);
        c.refuse(AdminProtocol.ERR_UNAVAILABLE, "the relay is closing");
        continue;
      }
      Thread t = new Thread(c::serve, "relaymail-admin-" + threadIds.incrementAndGet());
      t.setDaemon(true);
      c.thread = t;
      t.start();
    }
  }

  private static void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      LOG.debug("admin channel: closing a connection failed", e);
    }
  }

  /** @return how many connections are being served (for tests) */
  public int connections() {
    return live.size();
  }

  /**
   * Stops accepting, closes every connection, waits briefly for their threads and deletes the
   * socket file. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      LOG.warn("admin channel: closing the socket failed", e);
    }
    List<Connection> cs = new ArrayList<>(live);
    for (Connection c : cs) {
      try {
        c.io.abort();
      } catch (IOException e) {
        LOG.debug("admin channel: aborting a connection failed", e);
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    try {
      acceptor.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      for (Connection c : cs) {
        Thread t = c.thread;
        if (t != null) {
          t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      LOG.warn("admin channel: cannot delete the socket file {}", path, e);
    }
    LOG.info("admin channel on {} closed", path);
  }

  // ---------------------------------------------------------------- one connection

  private final class Connection {
    final LineChannel io;
    volatile Thread thread;

    Connection(LineChannel io) {
      this.io = io;
    }

    void refuse(String code, String message) {
      try {
        io.writeLines(List.of(error(code, message)), deadline(Duration.ofSeconds(1)));
      } catch (IOException e) {
        LOG.debug("admin channel: refusing a connection ({}) failed", code, e);
      } finally {
        finish();
      }
    }

    /** Closes after the last answer without letting unread input reset the connection. */
    void finish() {
      try {
        io.lingerClose(LINGER, AdminProtocol.MAX_REQUEST_LINE);
      } catch (IOException e) {
        LOG.debug("admin channel: closing a connection failed", e);
      }
    }

    void serve() {
      try {
        Optional<String> denied = checkPeer(io.channel());
        if (denied.isPresent()) {
          LOG.warn("admin channel: refused a connection: {}", denied.get());
          io.writeLines(List.of(error(AdminProtocol.ERR_FORBIDDEN, denied.get())), deadline(settings.requestTimeout()));
          return;
        }
        String hello = io.readLine(AdminProtocol.MAX_REQUEST_LINE, deadline(settings.idleTimeout()));
        if (hello == null) {
          return;
        }
        String refusal = checkHello(hello);
        if (refusal != null) {
          io.writeLines(List.of(refusal), deadline(settings.requestTimeout()));
          return;
        }
        io.writeLines(List.of(AdminLine.of(AdminProtocol.OK).put("version", AdminProtocol.VERSION).build().encode()),
            deadline(settings.requestTimeout()));
        while (!closed) {
          String request = io.readLine(AdminProtocol.MAX_REQUEST_LINE, deadline(settings.idleTimeout()));
          if (request == null) {
            return;
          }
          if (request.startsWith(AdminProtocol.SUBMIT + " ") || request.equals(AdminProtocol.SUBMIT)) {
            submit(io, request);
            continue;
          }
          io.writeLines(requests.handle(request), deadline(settings.requestTimeout()));
        }
      } catch (LineChannel.LineTooLongException e) {
        LOG.warn("admin channel: a request line over {} bytes; connection closed", AdminProtocol.MAX_REQUEST_LINE);
        try {
          io.writeLines(List.of(error(AdminProtocol.ERR_TOO_LARGE, "a request line is at most "
              + AdminProtocol.MAX_REQUEST_LINE + " bytes")), deadline(Duration.ofSeconds(1)));
        } catch (IOException e2) {
          LOG.debug("admin channel: could not tell the client its request was too large", e2);
        }
      } catch (SocketTimeoutException e) {
        LOG.debug("admin channel: a client timed out ({}); connection closed", e.getMessage());
      } catch (IOException e) {
        if (!closed) {
          LOG.debug("admin channel: connection ended", e);
        }
      } finally {
        live.remove(this);
        finish();
      }
    }
  }

  /**
   * Serves a {@code submit} request: checks the envelope and size, answers READY, reads exactly the
   * announced bytes and queues the message. A refusal before READY keeps the connection in step
   * (the client sends no bytes); a short read ends the connection with nothing queued.
   */
  private void submit(LineChannel io, String raw) throws IOException {
    OutgoingMessage.Builder envelope;
    long size;
    try {
      AdminLine req = AdminLine.parse(raw);
      size = AdminCodec.submitSize(req);
      envelope = AdminCodec.submission(req);
    } catch (InvalidAddressException e) {
      io.writeLines(List.of(error(AdminProtocol.ERR_INVALID_MESSAGE, e.getMessage())), deadline(settings.requestTimeout()));
      return;
    } catch (IllegalArgumentException e) {
      io.writeLines(List.of(error(AdminProtocol.ERR_BAD_REQUEST, e.getMessage())), deadline(settings.requestTimeout()));
      return;
    }
    long max = Math.min(requests.maxSubmitSize(), Integer.MAX_VALUE - 8);
    if (max <= 0) {
      io.writeLines(List.of(error(AdminProtocol.ERR_UNAVAILABLE, "this relay takes no submissions on its admin channel")),
          deadline(settings.requestTimeout()));
      return;
    }
    if (size > max) {
      io.writeLines(List.of(error(AdminProtocol.ERR_TOO_LARGE, "the message is " + size
          + " bytes; this relay takes at most " + max + " bytes")), deadline(settings.requestTimeout()));
      return;
    }
    io.writeLines(List.of(AdminLine.of(AdminProtocol.READY).put("size", size).build().encode()),
        deadline(settings.requestTimeout()));
    // a short read or a timeout throws here: the connection ends and nothing is queued
    byte[] content = io.readExactly((int) size, deadline(settings.requestTimeout()));
    io.writeLines(requests.submit(envelope.content(content)), deadline(settings.requestTimeout()));
  }

  private Optional<String> checkPeer(SocketChannel ch) {
    UnixDomainPrincipal peer;
    try {
      if (!ch.supportedOptions().contains(ExtendedSocketOptions.SO_PEERCRED)) {
        return Optional.empty(); // the socket file's permissions are the guard
      }
      peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.of("cannot read the peer's credentials: " + e);
    }
    String user = peer.user().getName();
    if (user.equals(owner) || user.equals("root")) {
      return Optional.empty();
    }
    return Optional.of("user " + user + " may not administer this relay; only its owner " + owner + " may");
  }

  private static String checkHello(String hello) {
    AdminLine l;
    try {
      l = AdminLine.parse(hello);
    } catch (IllegalArgumentException e) {
      return error(AdminProtocol.ERR_BAD_REQUEST, "expected \"" + AdminProtocol.MAGIC + " version="
          + AdminProtocol.VERSION + "\" first: " + e.getMessage());
    }
    if (!l.word().equals(AdminProtocol.MAGIC)) {
      return error(AdminProtocol.ERR_BAD_REQUEST, "expected \"" + AdminProtocol.MAGIC + " version="
          + AdminProtocol.VERSION + "\" first, got '" + l.word() + "'");
    }
    String v = l.get("version").orElse("");
    if (!v.equals(String.valueOf(AdminProtocol.VERSION))) {
      return error(AdminProtocol.ERR_VERSION, "this relay speaks admin protocol version " + AdminProtocol.VERSION
          + ", not \"" + v + "\"");
    }
    return null;
  }

  private static long deadline(Duration d) {
    return System.nanoTime() + d.toNanos();
  }

  static String error(String code, String message) {
    return AdminRequests.error(code, message);
  }
}
