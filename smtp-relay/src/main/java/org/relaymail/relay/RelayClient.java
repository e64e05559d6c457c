package org.relaymail.relay;

import com.github.benmanes.caffeine.cache.Ticker;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.relaymail.client.ConnectionSettings;
import org.relaymail.client.SmtpClientPool;
import org.relaymail.protocol.DsnNotify;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.MessageNormalizer;
import org.relaymail.queue.BodyKind;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.NewMessage;
import org.relaymail.queue.NewRecipient;
import org.relaymail.queue.NoSuchMessageException;
import org.relaymail.queue.NotifyCondition;
import org.relaymail.queue.QueueCounts;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuePage;
import org.relaymail.queue.QueueQuery;
import org.relaymail.queue.QueueStore;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RetryPolicy;
import org.relaymail.queue.ReturnOption;
import org.relaymail.relay.internal.BounceBuilder;
import org.relaymail.relay.internal.DeliveryEngine;
import org.relaymail.relay.internal.DnsLookup;
import org.relaymail.relay.internal.HostFailureCache;
import org.relaymail.relay.internal.HostNames;
import org.relaymail.relay.internal.MessageHeaders;
import org.relaymail.relay.internal.MessagePreparer;
import org.relaymail.relay.internal.MxResolver;
import org.relaymail.relay.internal.PreparedMessage;
import org.relaymail.relay.internal.ResolverTransport;
import org.relaymail.relay.internal.Router;
import org.relaymail.relay.internal.Threads;
import org.relaymail.relay.internal.admin.AdminOperations;
import org.relaymail.relay.internal.admin.AdminServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The front door: queue a message with {@link #send(OutgoingMessage)} and the relay delivers it by
 * MX (RFC 5321 section 5.1), through a smarthost or to a local callback, per the {@link Routing}
 * table, retrying per the {@link RetryPolicy} and returning undeliverable mail to its sender as an
 * RFC 3464 bounce.
 *
 * <pre>{@code
 * try (RelayClient relay = RelayClient.builder()
 *     .spoolDirectory(Path.of("/var/spool/myapp"))
 *     .heloName("mail.example.com")
 *     .build()) {
 *   SendReceipt r = relay.send(OutgoingMessage.builder()
 *       .sender("app@example.com").recipient("user@example.org").content(bytes).build());
 *   r.outcome().thenAccept(report -> ...);
 * }
 * }</pre>
 *
 * <h2>Delivery</h2>
 *
 * One dispatcher thread claims due messages from the {@link QueueStore} with a lease (renewed while
 * a delivery takes long) and hands them to delivery jobs on the executor (virtual threads on Java
 * 21+, a bounded pool of platform threads on 17, or the application's {@link Executor}); it waits
 * on the store's next due time or a new message, never in a sleeping loop. Recipients are grouped
 * by destination; one transaction carries all recipients of a destination, and one pooled
 * connection carries several messages, pipelined when the server offers PIPELINING (RFC 2920).
 * Unless the TLS policy verifies the host name, destinations whose MX hosts share an address share
 * its connections (see {@link TlsPolicy}).
 * Each recipient's outcome is recorded in the queue; see {@code DeliveryEngine} for the reply
 * handling by stage. Exactly-once while nothing crashes; after a crash between the remote 250 and
 * the record, or when {@link #close()} must abort a transaction after its final dot, a message
 * may be delivered twice (at-least-once, never lost).
 *
 * <h2>Outcomes</h2>
 *
 * {@link SendReceipt#outcome()} completes in this process while this client runs. After a restart,
 * or for a message delivered by another process from a shared queue, outcomes reach the
 * application through {@link RelayListener} events and queue inspection ({@link #inspect}). A
 * bounce for permanently failed or expired recipients is queued to the envelope sender with the
 * null sender; a bounce itself is never bounced.
 *
 * <h2>Retry schedule</h2>
 *
 * The default {@link RetryPolicy#defaultPolicy()} retries every 15 minutes and gives up after 4
 * hours, as the mission asks: shorter than RFC 5321 section 4.5.4.1 recommends (at least 30
 * minutes apart, give up after 4 to 5 days); use {@link RetryPolicy#rfc5321()} for that profile.
 *
 * <h2>Administration</h2>
 *
 * The {@link QueueAdministration} methods (list, inspect, hold, release, retry now, delete,
 * bounce) work in this process. A relay on a spool directory also serves them to other processes
 * of the same user through a local admin channel, a Unix-domain socket at {@code
 * <spool>/admin.sock} ({@link RelayAdmin}, and the {@code relaymail queue} commands); see {@link
 * Builder#adminSocket}. The same channel takes new messages ({@link RelayAdmin#submit}), which this
 * relay validates, prepares and queues as {@link #send} does.
 *
 * <p>Thread-safe: {@code send} and the administration methods may be called from any thread.
 */
public final class RelayClient implements QueueAdministration, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RelayClient.class);

  private final QueueStore store;
  private final boolean ownsStore;
  private final Clock clock;
  private final MessagePreparer preparer;
  private final MessageTransform transform;
  private final Router router;
  private final SmtpClientPool pool;
  private final ExecutorService ownExecutor;
  private final DeliveryEngine engine;
  private final Duration closeTimeout;
  private final long maxMessageSize;
  private volatile boolean closed;
  private final Thread storeWatcher;
  private final AdminServer admin;

  private RelayClient(Builder b, QueueStore store, boolean ownsStore) {
    this.store = store;
    this.ownsStore = ownsStore;
    this.clock = b.clock;
    this.transform = b.transform;
    this.closeTimeout = b.closeTimeout;
    this.maxMessageSize = b.maxMessageSize;
    this.preparer = new MessagePreparer(b.heloName, b.clock, b.addDate, b.addMessageId,
        MessagePreparer.DEFAULT_MAX_RECEIVED, b.maxMessageSize, MessagePreparer::randomId);
    Ticker ticker = Ticker.systemTicker();
    DnsLookup lookup = new DnsLookup(new ResolverTransport(b.dns), b.dns, ticker);
    HostFailureCache hostFailures = new HostFailureCache(b.routing.hostFailureTtl(), ticker);
    this.router = new Router(b.routing, new MxResolver(lookup, new SecureRandom()), hostFailures);
    this.pool = SmtpClientPool.builder()
        .maxTotal(b.maxConnections)
        .maxPerRoute(b.maxConnectionsPerRoute)
        .maxMessagesPerConnection(b.maxMessagesPerConnection)
        .settings(b.connectionSettings)
        .build();
    Executor executor;
    if (b.executor != null) {
      executor = b.executor;
      ownExecutor = null;
    } else {
      ownExecutor = Threads.virtualThreadExecutor("relaymail-delivery-")
          .orElseGet(() -> Threads.platformPool("relaymail-delivery-", b.maxConcurrentDeliveries));
      executor = ownExecutor;
    }
    this.engine = new DeliveryEngine(new DeliveryEngine.Config(
        store, router, b.retryPolicy, b.clock, b.listeners, executor, pool, preparer.heloName(), b.limiter,
        hostFailures, new BounceBuilder(preparer.heloName(), b.clock, (int) Math.min(Integer.MAX_VALUE, b.bounceFullReturnCap),
            MessagePreparer::randomId),
        b.maxConcurrentDeliveries, b.maxActiveMessages, b.messagesPerJob, b.leaseDuration, b.pollInterval));
    this.admin = startAdmin(b, ownsStore);
    engine.start();
    this.storeWatcher = watch(store);
    LOG.info("relay started: helo={}, routing={}, retry={}, store={}", preparer.heloName(), b.routing,
        b.retryPolicy, store.getClass().getSimpleName());
  }

  /**
   * Starts the admin channel the builder asks for, before any delivery starts. Where the default
   * channel cannot exist here (a path over the socket limit, no Unix-domain sockets, no POSIX
   * permissions) the relay runs without it and says so; an explicitly asked channel, or any other
   * failure, stops the start after releasing what the constructor set up.
   */
  private AdminServer startAdmin(Builder b, boolean ownsStore) {
    Path socket = b.adminDisabled ? null
        : b.adminSocket != null ? b.adminSocket
        : ownsStore && b.spool != null ? RelayAdmin.defaultSocket(b.spool) : null;
    if (socket == null) {
      return null;
    }
    try {
      return AdminServer.start(socket, this, new Admin(), AdminServer.Settings.defaults());
    } catch (AdminServer.UnsupportedHereException e) {
      if (b.adminSocket == null) {
        LOG.warn("running without an admin channel: {} (Builder.adminSocket(Path) chooses another path,"
            + " disableAdminSocket() silences this)", e.getMessage());
        return null;
      }
      abandon();
      throw new IllegalStateException("cannot serve the admin channel at " + socket + ": " + e.getMessage(), e);
    } catch (IOException e) {
      abandon();
      throw new UncheckedIOException("cannot serve the admin channel at " + socket + ": " + e.getMessage()
          + " (Builder.disableAdminSocket() runs the relay without one)", e);
    } catch (RuntimeException e) {
      abandon();
      throw e;
    }
  }

  /** Releases what the constructor set up when the start fails before the engine runs. */
  private void abandon() {
    closed = true;
    pool.close();
    if (ownExecutor != null) {
      ownExecutor.shutdownNow();
    }
    if (ownsStore) {
      try {
        store.close();
      } catch (IOException e) {
        LOG.warn("closing the queue store failed", e);
      }
    }
  }

  /** What the admin channel serves besides this client's {@link QueueAdministration} methods. */
  private final class Admin implements AdminOperations {
    @Override
    public long maxSubmitSize() {
      return maxMessageSize;
    }

    @Override
    public QueueId submit(OutgoingMessage message) throws IOException {
      return RelayClient.this.send(message).queueId();
    }

    @Override
    public Optional<byte[]> headerSection(QueueId id, int maxBytes) throws IOException {
      byte[] start;
      try (InputStream in = store.openContent(id)) {
        start = in.readNBytes(maxBytes);
      } catch (NoSuchMessageException e) {
        return Optional.empty();
      }
      return Optional.of(Arrays.copyOf(start, MessageHeaders.parse(start).headerEnd()));
    }
  }

  /**
   * The admin channel's socket, where {@link RelayAdmin} (and {@code relaymail queue}) reach this
   * relay from another process.
   *
   * @return the socket file, or empty when this relay serves no admin channel
   */
  public Optional<Path> adminSocket() {
    return Optional.ofNullable(admin).map(AdminServer::path);
  }

  /**
   * Starts a builder with the defaults.
   *
   * @return a new builder (not thread-safe)
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * With a PostgreSQL store that listens for {@code NOTIFY}, messages queued by other processes
   * wake the dispatcher at once instead of within the poll interval.
   */
  private Thread watch(QueueStore s) {
    if (!(s instanceof org.relaymail.queue.JdbcQueueStore j) || !j.isListening()) {
      return null;
    }
    Thread t = new Thread(() -> {
      long seen = j.wakeUps();
      while (!closed) {
        try {
          if (j.awaitWork(seen, Duration.ofSeconds(10))) {
            seen = j.wakeUps();
            engine.wakeUp();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } catch (RuntimeException e) {
          if (closed) {
            return;
          }
          LOG.warn("waiting for queue notifications failed; the poll interval still applies", e);
          return;
        }
      }
    }, "relaymail-queue-watcher");
    t.setDaemon(true);
    t.start();
    return t;
  }

  // ---------------------------------------------------------------- sending

  /**
   * Validates, prepares and queues a message durably, and returns once the queue store has made it
   * durable. Preparation, done once: line endings made canonical and line length checked (RFC 5321
   * section 4.5.3.1.6), {@code Date} and {@code Message-ID} added when missing, the relay's {@code
   * Received} field added (RFC 5321 section 4.4), SMTPUTF8 and 8BITMIME needs detected; then the
   * {@link MessageTransform}. The bytes queued are the bytes sent.
   *
   * <p>See {@link SendReceipt} for when its future completes (in this process, while this client
   * runs).
   *
   * @param message the message
   * @return the queue id and a future for the final outcome
   * @throws InvalidMessageException if the content is refused (no From, a line over 998 octets,
   *     too large, a mail loop); nothing is queued
   * @throws IllegalArgumentException for another invalid value; nothing is queued
   * @throws IOException if the content cannot be read (nothing is queued) or the store cannot make
   *     the message durable (nothing is acknowledged)
   * @throws IllegalStateException if the client is closed
   */
  public SendReceipt send(OutgoingMessage message) throws IOException {
    Objects.requireNonNull(message, "message");
    if (closed) {
      throw new IllegalStateException("the RelayClient is closed; nothing was queued");
    }
    PreparedMessage p = preparer.prepare(message, MessagePreparer.randomId());
    List<Mailbox> rcpts = p.recipients().stream().map(Recipient::mailbox).toList();
    byte[] content = p.content();
    byte[] transformed = transform.transform(p.sender(), rcpts, content);
    if (transformed != content) {
      Objects.requireNonNull(transformed, "the MessageTransform returned null");
      if (!MessageNormalizer.isCanonical(transformed)) {
        throw new InvalidMessageException(org.relaymail.protocol.EnhancedStatus.parse("5.6.0"),
            "the MessageTransform returned content that is not canonical CRLF text with lines of at most 998 octets"
                + " (RFC 5321 section 4.5.3.1.6)", null);
      }
      if (transformed.length > maxMessageSize + 64 * 1024) {
        throw new InvalidMessageException(org.relaymail.protocol.EnhancedStatus.parse("5.3.4"),
            "the MessageTransform grew the message to " + transformed.length + " octets", null);
      }
      content = transformed;
    }
    boolean eightBit = p.eightBit() || hasEightBit(content);
    NewMessage.Builder nb = NewMessage.builder(p.sender())
        .body(eightBit ? BodyKind.EIGHT_BIT_MIME : BodyKind.SEVEN_BIT)
        .smtpUtf8(p.smtpUtf8() || p.sender().needsSmtpUtf8() || rcpts.stream().anyMatch(Mailbox::needsSmtpUtf8));
    for (Recipient r : p.recipients()) {
      nb.recipient(new NewRecipient(r.mailbox(), notifyOf(r.notifyOn()), r.originalRecipient()));
    }
    p.envelopeId().ifPresent(e -> nb.envId(e));
    p.dsnReturn().ifPresent(r -> nb.ret(ReturnOption.valueOf(r.name())));
    NewMessage nm = nb.build();
    QueueId id = store.enqueue(nm, org.relaymail.queue.MessageContent.of(content), clock.instant());
    MDC.put("queueId", id.toString());
    try {
      LOG.info("from=<{}>, size={}, nrcpt={}{}", p.sender().address(), content.length, rcpts.size(),
          p.messageId().map(m -> ", message-id=<" + m + ">").orElse(""));
    } finally {
      MDC.remove("queueId");
    }
    CompletableFuture<DeliveryReport> outcome = engine.outcome(id);
    engine.wakeUp();
    return new SendReceipt(id, outcome);
  }

  private static boolean hasEightBit(byte[] b) {
    for (byte x : b) {
      if (x < 0) {
        return true;
      }
    }
    return false;
  }

  private static Set<NotifyCondition> notifyOf(Set<DsnNotify> n) {
    EnumSet<NotifyCondition> s = EnumSet.noneOf(NotifyCondition.class);
    for (DsnNotify d : n) {
      s.add(NotifyCondition.valueOf(d.name()));
    }
    return s;
  }

  // ---------------------------------------------------------------- routing

  /**
   * Explains where mail for a domain goes now: the MX hosts in order with their addresses (or the
   * smarthost, or local delivery), the addresses an attempt would try, the TLS policy, or why
   * nothing can be tried. Resolves DNS through the configured resolvers (cached).
   *
   * @param domain a domain (ASCII or Unicode) or an address literal such as {@code [192.0.2.1]}
   * @return the decision; {@link RouteDecision#toString()} prints it
   * @throws IllegalArgumentException if the domain is not a valid domain
   */
  public RouteDecision explainRoute(String domain) {
    Objects.requireNonNull(domain, "domain");
    return router.explain(domain);
  }

  // ---------------------------------------------------------------- administration

  /**
   * Lists queued messages (compare Postfix's {@code postqueue -p}).
   *
   * @param query filters, cursor and page size
   * @return one page
   * @throws IOException on a storage failure
   */
  public QueuePage list(QueueQuery query) throws IOException {
    return store.list(Objects.requireNonNull(query, "query"), clock.instant());
  }

  /**
   * Inspects one queued message: per recipient state, attempts, last reply.
   *
   * @param id the message
   * @return its snapshot, or empty when it is no longer queued (finished or deleted)
   * @throws IOException on a storage failure
   */
  public Optional<QueuedMessage> inspect(QueueId id) throws IOException {
    return store.find(Objects.requireNonNull(id, "id"), clock.instant());
  }

  /**
   * Counts queued messages by status and recipients by state.
   *
   * @return the counts
   * @throws IOException on a storage failure
   */
  public QueueCounts counts() throws IOException {
    return store.counts(clock.instant());
  }

  /**
   * Holds a message: not delivered until {@link #release released} ({@code postsuper -h}).
   *
   * @param id the message
   * @return false when there is no such message
   * @throws IOException on a storage failure
   */
  public boolean hold(QueueId id) throws IOException {
    return store.hold(Objects.requireNonNull(id, "id"), clock.instant());
  }

  /**
   * Releases a held message ({@code postsuper -H}); it is delivered at its next attempt time.
   *
   * @param id the message
   * @return false when there is no such message
   * @throws IOException on a storage failure
   */
  public boolean release(QueueId id) throws IOException {
    boolean r = store.releaseHold(Objects.requireNonNull(id, "id"), clock.instant());
    engine.wakeUp();
    return r;
  }

  /**
   * Attempts a message now instead of at its next attempt time ({@code postqueue -i}).
   *
   * @param id the message
   * @return false when there is no such message
   * @throws IOException on a storage failure
   */
  public boolean retryNow(QueueId id) throws IOException {
    boolean r = store.retryNow(Objects.requireNonNull(id, "id"), clock.instant());
    engine.wakeUp();
    return r;
  }

  /**
   * Attempts every queued message now ({@code postqueue -f}).
   *
   * @return how many messages were rescheduled
   * @throws IOException on a storage failure
   */
  public int retryAllNow() throws IOException {
    int n = store.retryAllNow(clock.instant());
    engine.wakeUp();
    return n;
  }

  /**
   * Deletes a message without notice to anyone ({@code postsuper -d}).
   *
   * @param id the message
   * @return false when there is no such message
   * @throws IOException on a storage failure
   */
  public boolean delete(QueueId id) throws IOException {
    return store.delete(Objects.requireNonNull(id, "id"), clock.instant());
  }

  /**
   * Gives up on a message's undelivered recipients now and bounces them to the sender (class
   * {@link FailureClass#ADMINISTRATIVE}, reply {@code 554 5.0.0}), the way expiry would.
   *
   * @param id the message
   * @return false when there is no such message
   * @throws IOException on a storage failure
   */
  public boolean bounce(QueueId id) throws IOException {
    boolean r = store.forceBounce(Objects.requireNonNull(id, "id"), clock.instant());
    engine.wakeUp();
    return r;
  }

  /**
   * Makes the dispatcher look for due messages now. Needed only when the relay cannot know that
   * something became due: the application's {@link Clock} jumped (tests), or another process added
   * messages to a shared store (otherwise found within the poll interval).
   */
  public void wakeUp() {
    engine.wakeUp();
  }

  /**
   * Returns how many messages this client is delivering right now.
   *
   * @return the count
   */
  public int deliveriesInFlight() {
    return engine.activeMessages();
  }

  /**
   * Stops claiming messages, waits up to the close timeout ({@link Builder#closeTimeout}) for the
   * final replies of transactions in flight, and leaves everything else queued: a new client on
   * the same store resumes it. Past the timeout, transactions still in flight are aborted; one cut
   * after its final dot may be delivered again later (a possible duplicate). Futures of messages
   * not finished complete with {@link RelayClosedException}. Closes the admin channel first (its
   * socket file is deleted), and the store when the builder created it ({@link
   * Builder#spoolDirectory}). Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (admin != null) {
      admin.close();
    }
    boolean clean = engine.close(closeTimeout);
    if (storeWatcher != null) {
      storeWatcher.interrupt();
    }
    pool.close();
    if (ownExecutor != null) {
      ownExecutor.shutdown();
      try {
        if (!ownExecutor.awaitTermination(5, TimeUnit.SECONDS)) {
          ownExecutor.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        ownExecutor.shutdownNow();
      }
    }
    if (ownsStore) {
      try {
        store.close();
      } catch (IOException e) {
        LOG.warn("closing the queue store failed", e);
      }
    }
    LOG.info("relay closed{}", clean ? "" : " (deliveries in flight were aborted)");
  }

  // ---------------------------------------------------------------- builder

  /**
   * Configures a {@link RelayClient}. Every setter validates at once and names the bad value. Not
   * thread-safe.
   */
  public static final class Builder {
    private QueueStore store;
    private Path spool;
    private Routing routing = Routing.direct();
    private RetryPolicy retryPolicy = RetryPolicy.defaultPolicy();
    private String heloName;
    private DnsSettings dns = DnsSettings.systemDefault();
    private Executor executor;
    private Clock clock = Clock.systemUTC();
    private final List<RelayListener> listeners = new ArrayList<>();
    private MessageTransform transform = MessageTransform.NONE;
    private DeliveryLimiter limiter = DeliveryLimiter.UNLIMITED;
    private int maxConcurrentDeliveries = 32;
    private int maxActiveMessages = 2_000;
    private int messagesPerJob = 100;
    private int maxConnections = 50;
    private int maxConnectionsPerRoute = 5;
    private int maxMessagesPerConnection = 1_000;
    private ConnectionSettings connectionSettings = ConnectionSettings.defaults();
    private Duration leaseDuration = Duration.ofMinutes(5);
    private Duration pollInterval = Duration.ofSeconds(30);
    private Duration closeTimeout = Duration.ofSeconds(30);
    private long maxMessageSize = MessagePreparer.DEFAULT_MAX_SIZE;
    private long bounceFullReturnCap = 50 * 1024;
    private boolean addDate = true;
    private boolean addMessageId = true;
    private Path adminSocket;
    private boolean adminDisabled;

    private Builder() {}

    /**
     * Uses an application-supplied queue store (not closed by {@link RelayClient#close()}). With a
     * store shared by several processes, lower the {@link #pollInterval poll interval}.
     *
     * @param store the store
     * @return this builder
     */
    public Builder store(QueueStore store) {
      this.store = Objects.requireNonNull(store, "store");
      this.spool = null;
      return this;
    }

    /**
     * Uses the embedded default store, a {@code FileQueueStore} in this directory (created if
     * missing; one process per directory), closed by {@link RelayClient#close()}. The relay serves
     * its admin channel at {@code <directory>/admin.sock} unless told otherwise ({@link
     * #adminSocket}, {@link #disableAdminSocket}).
     *
     * @param directory the spool directory
     * @return this builder
     */
    public Builder spoolDirectory(Path directory) {
      this.spool = Objects.requireNonNull(directory, "directory");
      this.store = null;
      return this;
    }

    /**
     * Serves the admin channel on a Unix-domain socket at this path instead of the default {@code
     * <spool>/admin.sock}, with any store ({@link RelayAdmin#connectSocket}). The socket is made
     * owner-only ({@code rw-------}) and peers must be this process's user (or root); a socket
     * file left by a crashed process is replaced when nothing answers on it. {@link #build()}
     * fails if the channel cannot be served there.
     *
     * <p>By default a relay on a {@link #spoolDirectory spool directory} serves the channel at
     * {@code <spool>/admin.sock} ({@link RelayAdmin#defaultSocket}), which the {@code relaymail
     * queue} commands use; where that path is too long for a socket (over 107 bytes) or the
     * platform cannot secure it, the relay starts without it and logs a warning. A relay on an
     * application-supplied {@link #store store} serves none unless given a path here.
     *
     * @param socket the socket file (its directory must exist), at most 107 bytes long
     * @return this builder
     * @throws IllegalArgumentException if the path is longer than a Unix-domain socket path may be
     */
    public Builder adminSocket(Path socket) {
      Objects.requireNonNull(socket, "socket");
      try {
        AdminServer.checkLength(socket);
      } catch (AdminServer.UnsupportedHereException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
      this.adminSocket = socket;
      this.adminDisabled = false;
      return this;
    }

    /**
     * Serves no admin channel: the queue is administered only through this client's methods (and,
     * once the relay has stopped, directly on its store).
     *
     * @return this builder
     */
    public Builder disableAdminSocket() {
      this.adminSocket = null;
      this.adminDisabled = true;
      return this;
    }

    /**
     * Sets the routing table (default: {@link Routing#direct()}, direct to MX with opportunistic
     * TLS). TLS policy lives there: {@link Routing.Builder#mxTls}, {@link Routing.Builder#requireTls}
     * per domain, and the smarthost's own policy (required and verified by default).
     *
     * @param routing the table
     * @return this builder
     */
    public Builder routing(Routing routing) {
      this.routing = Objects.requireNonNull(routing, "routing");
      return this;
    }

    /**
     * Sets the retry policy (default {@link RetryPolicy#defaultPolicy()}: every 15 minutes, give
     * up after 4 hours; see the class description for the RFC 5321 profile).
     *
     * @param policy the policy
     * @return this builder
     */
    public Builder retryPolicy(RetryPolicy policy) {
      this.retryPolicy = Objects.requireNonNull(policy, "retryPolicy");
      return this;
    }

    /**
     * Sets the name announced in EHLO and written in Received fields and bounces: a fully
     * qualified domain name (RFC 5321 section 4.1.1.1), never derived by reverse lookup. Required.
     *
     * @param name e.g. {@code mail.example.com}
     * @return this builder
     * @throws IllegalArgumentException if the name is not a fully qualified domain name
     */
    public Builder heloName(String name) {
      this.heloName = HostNames.requireFqdn(name, "HELO name");
      return this;
    }

    /**
     * Sets the DNS resolvers and limits (default: the system's resolvers).
     *
     * @param settings the settings
     * @return this builder
     */
    public Builder dns(DnsSettings settings) {
      this.dns = Objects.requireNonNull(settings, "dns");
      return this;
    }

    /**
     * Runs delivery jobs on the application's executor (not shut down by the client). Default:
     * a virtual thread per job on Java 21+, a pool of {@link #maxConcurrentDeliveries} platform
     * threads on Java 17.
     *
     * @param executor the executor
     * @return this builder
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Sets the clock for queue times, retries, leases, Date and Received fields (default UTC
     * system clock). Tests pass a clock they advance, then call {@link RelayClient#wakeUp()}.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Adds a listener.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(RelayListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Sets the transform run once on each prepared message before it is queued (DKIM signing).
     *
     * @param transform the transform
     * @return this builder
     */
    public Builder transform(MessageTransform transform) {
      this.transform = Objects.requireNonNull(transform, "transform");
      return this;
    }

    /**
     * Sets the limiter consulted before each connection and transaction.
     *
     * @param limiter the limiter
     * @return this builder
     */
    public Builder limiter(DeliveryLimiter limiter) {
      this.limiter = Objects.requireNonNull(limiter, "limiter");
      return this;
    }

    /**
     * Sets how many delivery jobs (each one destination, one connection at a time) run at once
     * (default 32; also the platform pool's size on Java 17).
     *
     * @param n at least 1
     * @return this builder
     */
    public Builder maxConcurrentDeliveries(int n) {
      this.maxConcurrentDeliveries = atLeast(1, n, "maxConcurrentDeliveries");
      return this;
    }

    /**
     * Sets how many messages may be claimed and in delivery at once (default 2,000).
     *
     * @param n at least 1
     * @return this builder
     */
    public Builder maxActiveMessages(int n) {
      this.maxActiveMessages = atLeast(1, n, "maxActiveMessages");
      return this;
    }

    /**
     * Sets how many messages for one destination one delivery job carries over its connection
     * (default 100).
     *
     * @param n at least 1
     * @return this builder
     */
    public Builder messagesPerJob(int n) {
      this.messagesPerJob = atLeast(1, n, "messagesPerJob");
      return this;
    }

    /**
     * Sets the connection pool's limits.
     *
     * @param total connections in total (default 50)
     * @param perRoute connections per server address and settings (default 5)
     * @param messagesPerConnection messages before a connection is retired (default 1,000)
     * @return this builder
     */
    public Builder connectionLimits(int total, int perRoute, int messagesPerConnection) {
      this.maxConnections = atLeast(1, total, "total connections");
      this.maxConnectionsPerRoute = atLeast(1, perRoute, "connections per route");
      this.maxMessagesPerConnection = atLeast(1, messagesPerConnection, "messages per connection");
      return this;
    }

    /**
     * Sets the SMTP connection settings: timeouts (RFC 5321 section 4.5.3.2 by default),
     * pipelining window, TLS trust.
     *
     * @param settings the settings
     * @return this builder
     */
    public Builder connectionSettings(ConnectionSettings settings) {
      this.connectionSettings = Objects.requireNonNull(settings, "connectionSettings");
      return this;
    }

    /**
     * Sets the queue lease taken per claimed message (default 5 minutes; renewed at half time
     * while delivering). A crashed process's messages become due again when it runs out.
     *
     * @param d positive
     * @return this builder
     */
    public Builder leaseDuration(Duration d) {
      this.leaseDuration = positive(d, "leaseDuration");
      return this;
    }

    /**
     * Sets the longest the dispatcher waits without looking at the store (default 30 seconds).
     * Messages queued through this client wake it at once; lower this for a store shared with
     * other processes.
     *
     * @param d positive
     * @return this builder
     */
    public Builder pollInterval(Duration d) {
      this.pollInterval = positive(d, "pollInterval");
      return this;
    }

    /**
     * Sets how long {@link RelayClient#close()} waits for deliveries in flight (default 30 seconds).
     *
     * @param d positive
     * @return this builder
     */
    public Builder closeTimeout(Duration d) {
      this.closeTimeout = positive(d, "closeTimeout");
      return this;
    }

    /**
     * Sets the largest message accepted by {@code send()} (default 10,240,000 octets, Postfix's
     * {@code message_size_limit}).
     *
     * @param octets at least 1
     * @return this builder
     */
    public Builder maxMessageSize(long octets) {
      if (octets < 1) {
        throw new IllegalArgumentException("maxMessageSize must be at least 1: " + octets);
      }
      this.maxMessageSize = octets;
      return this;
    }

    /**
     * Sets the largest original returned whole in a bounce when RET=FULL asked for it; larger ones
     * return the header section only (default 50 KB).
     *
     * @param octets at least 0
     * @return this builder
     */
    public Builder bounceFullReturnCap(long octets) {
      if (octets < 0) {
        throw new IllegalArgumentException("bounceFullReturnCap must be at least 0: " + octets);
      }
      this.bounceFullReturnCap = octets;
      return this;
    }

    /**
     * Sets whether {@code send()} adds {@code Date} and {@code Message-ID} fields when missing
     * (RFC 5322 section 3.6; default both true).
     *
     * @param date add Date
     * @param messageId add Message-ID
     * @return this builder
     */
    public Builder addMissingHeaders(boolean date, boolean messageId) {
      this.addDate = date;
      this.addMessageId = messageId;
      return this;
    }

    /**
     * Builds and starts the client: the dispatcher begins delivering what the store holds.
     *
     * @return the running client
     * @throws IllegalStateException if the HELO name or the store is missing, or the {@link
     *     #adminSocket explicitly asked} admin channel cannot exist on this platform
     * @throws UncheckedIOException if the spool directory cannot be opened, or the admin channel
     *     cannot be served (another relay answers on its socket, a file is in the way, the socket
     *     cannot be restricted to its owner)
     */
    public RelayClient build() {
      if (heloName == null) {
        throw new IllegalStateException("heloName(...) is required: a fully qualified name such as mail.example.com");
      }
      if (store == null && spool == null) {
        throw new IllegalStateException("set store(...) or spoolDirectory(...)");
      }
      QueueStore s = store;
      boolean owns = false;
      if (s == null) {
        s = openFileStore(spool);
        owns = true;
      }
      return new RelayClient(this, s, owns);
    }

    private static QueueStore openFileStore(Path dir) {
      try {
        return org.relaymail.queue.FileQueueStore.open(dir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open the spool directory " + dir + ": " + e.getMessage(), e);
      }
    }

    private static int atLeast(int min, int v, String what) {
      if (v < min) {
        throw new IllegalArgumentException(what + " must be at least " + min + ": " + v);
      }
      return v;
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive: " + d);
      }
      return d;
    }
  }

  /** @return for tests: the current time of the client's clock */
  Instant now() {
    return clock.instant();
  }
}
