package org.relaymail.relay.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.relaymail.client.Credentials;
import org.relaymail.client.Envelope;
import org.relaymail.client.MessageContent;
import org.relaymail.client.RecipientResult;
import org.relaymail.client.Route;
import org.relaymail.client.SmtpClientPool;
import org.relaymail.client.SmtpConnection;
import org.relaymail.client.SmtpReplyException;
import org.relaymail.client.TlsMode;
import org.relaymail.client.TransactionResult;
import org.relaymail.protocol.DsnNotify;
import org.relaymail.protocol.DsnReturn;
import org.relaymail.protocol.EnhancedStatus;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.RecipientStatus;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.AttemptRecord;
import org.relaymail.queue.BodyKind;
import org.relaymail.queue.ClaimedMessage;
import org.relaymail.queue.DeliveryAttempt;
import org.relaymail.queue.FailureClass;
import org.relaymail.queue.Lease;
import org.relaymail.queue.LeaseLostException;
import org.relaymail.queue.NewMessage;
import org.relaymail.queue.NewRecipient;
import org.relaymail.queue.Notification;
import org.relaymail.queue.NotifyCondition;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueueStore;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientOutcome;
import org.relaymail.queue.RecipientRecord;
import org.relaymail.queue.RecipientState;
import org.relaymail.queue.RecordedAttempt;
import org.relaymail.queue.RetryDecision;
import org.relaymail.queue.RetryPolicy;
import org.relaymail.relay.DeliveryEvent;
import org.relaymail.relay.DeliveryLimiter;
import org.relaymail.relay.DeliveryReport;
import org.relaymail.relay.Destination;
import org.relaymail.relay.LocalDelivery;
import org.relaymail.relay.NextHop;
import org.relaymail.relay.Recipient;
import org.relaymail.relay.RecipientReport;
import org.relaymail.relay.RelayClosedException;
import org.relaymail.relay.RelayListener;
import org.relaymail.relay.RouteDecision;
import org.relaymail.relay.RouteFailure;
import org.relaymail.relay.Smarthost;
import org.relaymail.relay.TlsPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The delivery side of a {@code RelayClient}: one dispatcher thread and delivery jobs on the
 * client's executor.
 *
 * <p>The dispatcher never polls in a sleeping loop: it claims due messages with a lease, and when
 * nothing is due it waits on a condition until the store's next due time, until a lease needs
 * renewing, until {@link #wakeUp()} (a new message, an administrative change, a finished job) or
 * at most the poll interval (for stores shared with other processes). Claimed messages are grouped
 * by {@link Destination}; each group goes to a job that resolves the route once and delivers
 * every message of the group through one pooled connection (several pipelined transactions per
 * connection), trying MX addresses in order. The pool key of an address whose TLS mode verifies no
 * name leaves the MX name out (the first name seen stays its SNI), so that destinations whose MX
 * hosts share an address share connections. When all jobs of a message are done the message's
 * outcomes are recorded at once, bounces and delay notices are queued, and the message is
 * completed or released for its next attempt.
 *
 * <p>Reply handling by stage, as Postfix does: a connection failure or a 4xx/5xx greeting, EHLO,
 * STARTTLS or AUTH moves to the next address (and when none is left the recipients are deferred,
 * Postfix's {@code smtp_skip_5xx_greeting}); a RCPT reply decides its recipient (5xx fails it, 4xx
 * defers it); a MAIL or final-DATA reply decides every recipient of the transaction; a connection
 * lost after the final dot, before the reply, defers: the next hop may have the message already,
 * so a duplicate is possible (RFC 5321 section 4.1.1.4, RFC 1047). Thread-safe.
 */
public final class DeliveryEngine {
  private static final Logger LOG = LoggerFactory.getLogger("org.relaymail.relay.delivery");
  private static final Logger ENGINE = LoggerFactory.getLogger(DeliveryEngine.class);
  private static final long GATHER_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  /** How many threads record finished messages at once (the others leave theirs to them). */
  private static final int MAX_RECORDERS = 2;
  /** The most messages recorded in one {@link QueueStore#recordAttempts} call. */
  private static final int MAX_RECORD_BATCH = 500;

  /** Everything the engine needs; built by {@code RelayClient.Builder}. */
  public record Config(
      QueueStore store,
      Router router,
      RetryPolicy retryPolicy,
      Clock clock,
      List<RelayListener> listeners,
      Executor executor,
      SmtpClientPool pool,
      String heloName,
      DeliveryLimiter limiter,
      HostFailureCache hostFailures,
      BounceBuilder bounces,
      int maxConcurrentDeliveries,
      int maxActiveMessages,
      int messagesPerJob,
      Duration leaseDuration,
      Duration pollInterval) {
    /** Validates and copies. */
    public Config {
      Objects.requireNonNull(store, "store");
      Objects.requireNonNull(router, "router");
      Objects.requireNonNull(retryPolicy, "retryPolicy");
      Objects.requireNonNull(clock, "clock");
      listeners = List.copyOf(listeners);
      Objects.requireNonNull(executor, "executor");
      Objects.requireNonNull(pool, "pool");
      Objects.requireNonNull(heloName, "heloName");
      Objects.requireNonNull(limiter, "limiter");
      Objects.requireNonNull(hostFailures, "hostFailures");
      Objects.requireNonNull(bounces, "bounces");
      Objects.requireNonNull(leaseDuration, "leaseDuration");
      Objects.requireNonNull(pollInterval, "pollInterval");
    }
  }

  private final Config cfg;
  private final QueueStore store;
  private final Clock clock;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private boolean signalled;
  private volatile boolean running;
  private volatile boolean closing;
  private volatile boolean aborting;
  private Thread dispatcher;
  private final Map<QueueId, Active> active = new ConcurrentHashMap<>();
  private final Semaphore slots;
  private final AtomicInteger jobs = new AtomicInteger();
  private final Map<QueueId, CompletableFuture<DeliveryReport>> futures = new ConcurrentHashMap<>();
  private final Cache<QueueId, DeliveryReport> early =
      Caffeine.newBuilder().expireAfterWrite(Duration.ofMinutes(10)).maximumSize(100_000).build();
  /** Finished messages waiting for the next {@link QueueStore#recordAttempts} call; also its lock. */
  private final ArrayDeque<Active> toRecord = new ArrayDeque<>();
  /** Whether finished messages of all jobs gather into shared record calls (see {@link #finishBatch}). */
  private final boolean coalesceRecords;
  /** Threads writing {@link #toRecord} batches now; guarded by {@code toRecord}. */
  private int recorders;
  /**
   * Routes whose TLS mode verifies no server name, keyed by the route without its TLS server name:
   * the route (with the MX or smarthost name that first reached the address, sent as SNI) that
   * every name resolving to that address shares, so that they share pooled connections.
   */
  private final Cache<Route, Route> sharedRoutes =
      Caffeine.newBuilder().expireAfterAccess(Duration.ofHours(1)).maximumSize(10_000).build();

  /**
   * Creates the engine; {@link #start()} starts it.
   *
   * @param config the configuration
   */
  public DeliveryEngine(Config config) {
    this.cfg = config;
    this.store = config.store();
    this.clock = config.clock();
    this.slots = new Semaphore(config.maxConcurrentDeliveries());
    this.coalesceRecords = config.store().batchesAttemptRecords();
  }

  /** Starts the dispatcher thread. */
  public void start() {
    running = true;
    dispatcher = new Thread(this::dispatch, "relaymail-dispatcher");
    dispatcher.setDaemon(true);
    dispatcher.start();
  }

  /** Makes the dispatcher look for due messages now. */
  public void wakeUp() {
    lock.lock();
    try {
      signalled = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Registers interest in a message's final outcome (a message this process queued).
   *
   * @param id the message
   * @return the future
   */
  public CompletableFuture<DeliveryReport> outcome(QueueId id) {
    CompletableFuture<DeliveryReport> f = new CompletableFuture<>();
    DeliveryReport done = early.getIfPresent(id);
    if (done != null) {
      early.invalidate(id);
      f.complete(done);
      return f;
    }
    futures.put(id, f);
    // the message may have finished between the check above and the put
    done = early.getIfPresent(id);
    if (done != null) {
      early.invalidate(id);
      futures.remove(id, f);
      f.complete(done);
    }
    if (closing && !f.isDone() && futures.remove(id, f)) {
      f.completeExceptionally(new RelayClosedException(id));
    }
    return f;
  }

  // ---------------------------------------------------------------- dispatcher

  private void dispatch() {
    while (running) {
      try {
        Instant now = clock.instant();
        renewLeases(now);
        int room = cfg.maxActiveMessages() - active.size();
        if (room > 0 && !closing) {
          List<ClaimedMessage> claimed = store.claimDue(now, Math.min(room, 500), cfg.leaseDuration());
          if (!claimed.isEmpty()) {
            schedule(claimed);
            if (claimed.size() < cfg.messagesPerJob()) {
              // a trickle (messages arriving one by one): let a few milliseconds' worth gather into
              // the next claim, so that jobs carry several messages per connection lease and their
              // outcomes share one store write, rather than one message each
              LockSupport.parkNanos(GATHER_NANOS);
            }
            continue;
          }
        }
        await(now, room > 0);
      } catch (IOException | RuntimeException e) {
        ENGINE.warn("dispatcher: queue store failed ({}); trying again shortly", e.toString(), e);
        awaitNanos(TimeUnit.SECONDS.toNanos(1));
      } catch (Error e) {
        ENGINE.error("dispatcher stopped by an error", e);
        throw e;
      }
    }
  }

  private void await(Instant now, boolean canClaim) throws IOException {
    Instant deadline = now.plus(cfg.pollInterval());
    if (canClaim) {
      Optional<Instant> due = store.nextDueTime(now);
      if (due.isPresent() && due.get().isBefore(deadline)) {
        deadline = due.get();
      }
    }
    for (Active a : active.values()) {
      Instant renewAt = a.lease.expiresAt().minus(cfg.leaseDuration().dividedBy(2));
      if (renewAt.isBefore(deadline)) {
        deadline = renewAt;
      }
    }
    long nanos = Duration.between(now, deadline).toNanos();
    // a due time in the past with nothing claimable (a race with another claimer): do not spin
    awaitNanos(Math.max(nanos, TimeUnit.MILLISECONDS.toNanos(20)));
  }

  private void awaitNanos(long nanos) {
    lock.lock();
    try {
      long left = nanos;
      while (!signalled && running && left > 0) {
        left = changed.awaitNanos(left);
      }
      signalled = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    } finally {
      lock.unlock();
    }
  }

  private void renewLeases(Instant now) {
    Duration half = cfg.leaseDuration().dividedBy(2);
    for (Active a : active.values()) {
      Lease l = a.lease;
      if (!a.finishing && !l.expiresAt().minus(half).isAfter(now)) {
        try {
          a.lease = store.renewLease(l, cfg.leaseDuration(), now);
        } catch (LeaseLostException e) {
          ENGINE.warn("lease of {} lost while delivering: {}", a.message.id(), e.getMessage());
          a.lost = true;
        } catch (IOException | RuntimeException e) {
          ENGINE.warn("renewing the lease of {} failed: {}", a.message.id(), e.toString());
        }
      }
    }
  }

  private void schedule(List<ClaimedMessage> claimed) {
    Map<Destination, List<Item>> byDestination = new LinkedHashMap<>();
    for (ClaimedMessage c : claimed) {
      Active a = new Active(c.lease(), c.message());
      active.put(a.message.id(), a);
      List<RecipientRecord> open =
          a.message.recipients().stream().filter(r -> !r.state().isFinal()).toList();
      List<RecipientGroups.Batch<RecipientRecord>> batches;
      try {
        batches = RecipientGroups.group(cfg.router().routing(), open, r -> r.mailbox().domain());
      } catch (RuntimeException e) {
        // a domain the routing table cannot take: every open recipient fails permanently
        SmtpReply reply = synthetic(550, "5.1.2", "bad destination domain: " + e.getMessage());
        for (RecipientRecord r : open) {
          a.result(r, Result.failed(reply, FailureClass.OTHER, null));
        }
        batches = List.of();
      }
      a.pendingJobs.set(batches.size());
      if (batches.isEmpty()) {
        submit(() -> finish(a));
        continue;
      }
      for (RecipientGroups.Batch<RecipientRecord> b : batches) {
        byDestination.computeIfAbsent(b.destination(), d -> new ArrayList<>()).add(new Item(a, b.recipients()));
      }
    }
    byDestination.forEach(
        (dest, items) -> {
          for (int i = 0; i < items.size(); i += cfg.messagesPerJob()) {
            List<Item> chunk = List.copyOf(items.subList(i, Math.min(items.size(), i + cfg.messagesPerJob())));
            jobs.incrementAndGet();
            submit(() -> runJob(dest, chunk));
          }
        });
  }

  private void submit(Runnable r) {
    try {
      cfg.executor().execute(r);
    } catch (RejectedExecutionException e) {
      ENGINE.warn("executor refused a delivery job; running it on the dispatcher thread", e);
      r.run();
    }
  }

  // ---------------------------------------------------------------- delivery jobs

  private void runJob(Destination dest, List<Item> items) {
    boolean acquired = false;
    try {
      slots.acquire();
      acquired = true;
      if (closing) {
        for (Item it : items) {
          it.active.abandoned = true;
        }
      } else {
        deliver(dest, items);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      for (Item it : items) {
        it.active.abandoned = true;
      }
    } catch (RuntimeException | Error e) {
      ENGINE.error("delivery to {} failed unexpectedly; its recipients are deferred", dest, e);
      SmtpReply reply = synthetic(451, "4.3.0", "internal error: " + e);
      for (Item it : items) {
        for (RecipientRecord r : it.recipients) {
          it.active.resultIfAbsent(r, Result.deferred(reply, FailureClass.OTHER, null));
        }
      }
    } finally {
      if (acquired) {
        slots.release();
      }
      jobs.decrementAndGet();
      List<Active> done = new ArrayList<>();
      for (Item it : items) {
        if (it.active.pendingJobs.decrementAndGet() == 0) {
          done.add(it.active);
        }
      }
      finishBatch(done);
    }
  }

  private void deliver(Destination dest, List<Item> items) {
    if (dest.isLocal()) {
      deliverLocally(items);
      return;
    }
    RouteDecision decision;
    try {
      decision = cfg.router().decide(dest);
    } catch (RuntimeException e) {
      ENGINE.warn("routing {} failed", dest, e);
      deferAll(items, synthetic(451, "4.4.3", "routing failed: " + e.getMessage()), FailureClass.DNS_FAILURE, null);
      return;
    }
    if (decision.failure().isPresent()) {
      RouteFailure f = decision.failure().get();
      int code = f.permanent() ? 550 : 451;
      SmtpReply reply = synthetic(code, f.enhancedStatus().toString(), f.reason());
      for (Item it : items) {
        for (RecipientRecord r : it.recipients) {
          it.active.result(
              r, f.permanent() ? Result.failed(reply, f.failureClass(), null) : Result.deferred(reply, f.failureClass(), null));
        }
      }
      return;
    }
    Deque<Item> remaining = new ArrayDeque<>(items);
    int sessions = 0;
    Result last = null;
    for (RouteDecision.Target t : decision.targets()) {
      if (remaining.isEmpty() || sessions >= decision.maxSessions() || aborting) {
        break;
      }
      DeliveryLimiter.Decision allowed = cfg.limiter().beforeConnection(dest, t.address());
      if (!allowed.allowed()) {
        last = Result.deferred(synthetic(451, "4.7.0", "deferred by the limiter: " + allowed.reason().get()),
            FailureClass.THROTTLED, null);
        break;
      }
      Route route = routeFor(decision, t);
      String relay = relayName(t);
      SmtpClientPool.Lease lease;
      try {
        lease = cfg.pool().lease(route);
      } catch (SmtpReplyException e) {
        // greeting, EHLO, STARTTLS or AUTH refused: try the next address (Postfix skips 5xx greetings too)
        ENGINE.debug("{} refused the session: {}", relay, e.reply());
        last = Result.deferred(e.reply(), FailureClassifier.classify(e.reply()), relay);
        continue;
      } catch (IOException e) {
        FailureClass c = FailureClassifier.classify(e);
        if (c == FailureClass.CONNECTION_FAILURE || c == FailureClass.TIMEOUT) {
          cfg.hostFailures().markFailed(t.address(), e.getMessage());
        }
        ENGINE.debug("connecting to {} failed: {}", relay, e.toString());
        last = Result.deferred(
            synthetic(451, c == FailureClass.TLS_FAILURE ? "4.7.5" : "4.4.1", "connect to " + relay + ": " + e.getMessage()),
            c, relay);
        continue;
      }
      sessions++;
      cfg.hostFailures().markReachable(t.address());
      try {
        Result broken = session(dest, lease, relay, remaining);
        if (broken != null) {
          last = broken;
        }
      } finally {
        lease.close();
      }
    }
    if (!remaining.isEmpty()) {
      Result r = last != null ? last
          : Result.deferred(synthetic(451, "4.4.1", "no mail server could be reached for " + dest.name()),
              FailureClass.CONNECTION_FAILURE, null);
      for (Item it : remaining) {
        for (RecipientRecord rec : it.recipients) {
          it.active.resultIfAbsent(rec, Result.deferred(r.reply, r.failureClass, r.relay));
        }
      }
    }
  }

  /**
   * Sends the remaining items on one connection, removing those that got an outcome. Items whose
   * transaction was never written (the connection broke first) stay for the next address.
   *
   * @return the failure that ended the session early, or null
   */
  private Result session(Destination dest, SmtpClientPool.Lease lease, String relay, Deque<Item> remaining) {
    SmtpConnection c = lease.connection();
    boolean dsn = c.capabilities().dsn();
    Result brokenBy = null;
    while (!remaining.isEmpty() && c.isUsable() && !aborting) {
      int budget = lease.messageBudget();
      if (budget <= 0) {
        break;
      }
      List<Item> batch = new ArrayList<>();
      List<CompletableFuture<TransactionResult>> sent = new ArrayList<>();
      while (!remaining.isEmpty() && batch.size() < budget) {
        Item it = remaining.pollFirst();
        DeliveryLimiter.Decision allowed =
            cfg.limiter().beforeTransaction(dest, it.active.message.id(), it.recipients.size());
        if (!allowed.allowed()) {
          SmtpReply reply = synthetic(451, "4.7.0", "deferred by the limiter: " + allowed.reason().get());
          it.deferAll(reply, FailureClass.THROTTLED, relay);
          continue;
        }
        try {
          sent.add(c.submit(envelope(it), content(it.active.message)));
          batch.add(it);
        } catch (IOException e) {
          ENGINE.warn("content of {} cannot be read: {}", it.active.message.id(), e.toString());
          it.deferAll(synthetic(451, "4.3.0", "queued content unreadable: " + e.getMessage()), FailureClass.OTHER, null);
        } catch (IllegalStateException e) {
          remaining.addFirst(it);
          break;
        }
      }
      if (batch.isEmpty()) {
        break;
      }
      c.flush();
      for (int i = 0; i < batch.size(); i++) {
        Item it = batch.get(i);
        TransactionResult tr;
        try {
          tr = sent.get(i).get();
        } catch (ExecutionException | CompletionException e) {
          // never written: the connection broke before this transaction; another address may take it
          Throwable cause = e.getCause() != null ? e.getCause() : e;
          brokenBy = Result.deferred(synthetic(451, "4.4.2", "connection to " + relay + " lost: " + cause.getMessage()),
              FailureClassifier.classify(cause), relay);
          remaining.addFirst(it);
          continue;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          remaining.addFirst(it);
          return brokenBy;
        }
        for (RecipientResult rr : tr.recipients()) {
          RecipientRecord rec = it.record(rr.recipient());
          if (rec == null) {
            continue;
          }
          Result res = switch (rr.status()) {
            case ACCEPTED -> Result.delivered(rr.reply(), relay, !dsn);
            case PERMANENT -> Result.failed(rr.reply(), FailureClassifier.classify(rr.reply()), relay);
            case TRANSIENT -> Result.deferred(rr.reply(), FailureClassifier.classify(rr.reply()), relay);
          };
          it.active.result(rec, res);
        }
        for (RecipientRecord rec : it.recipients) {
          it.active.resultIfAbsent(rec, Result.deferred(synthetic(451, "4.3.0", "no result from " + relay),
              FailureClass.OTHER, relay));
        }
      }
    }
    if (!c.isUsable()) {
      lease.retire();
    }
    return brokenBy;
  }

  private void deliverLocally(List<Item> items) {
    Optional<LocalDelivery> local = cfg.router().routing().localDelivery();
    for (Item it : items) {
      if (local.isEmpty()) {
        it.deferAll(synthetic(451, "4.3.5", "local domain but no LocalDelivery configured"), FailureClass.OTHER, "local");
        continue;
      }
      List<Mailbox> rcpts = it.recipients.stream().map(RecipientRecord::mailbox).toList();
      try (InputStream in = store.openContent(it.active.message.id())) {
        Map<Mailbox, SmtpReply> replies = local.get().deliver(it.active.message.sender(), rcpts, in);
        for (RecipientRecord r : it.recipients) {
          SmtpReply reply = replies.get(r.mailbox());
          if (reply == null) {
            it.active.result(r, Result.deferred(synthetic(451, "4.3.0", "local delivery gave no reply"), FailureClass.OTHER, "local"));
          } else if (reply.isPositive()) {
            it.active.result(r, Result.delivered(reply, "local", false));
          } else if (reply.isPermanent()) {
            it.active.result(r, Result.failed(reply, FailureClassifier.classify(reply), "local"));
          } else {
            it.active.result(r, Result.deferred(reply, FailureClassifier.classify(reply), "local"));
          }
        }
      } catch (IOException | RuntimeException e) {
        ENGINE.warn("local delivery of {} failed", it.active.message.id(), e);
        it.deferAll(synthetic(451, "4.3.0", "local delivery failed: " + e), FailureClass.OTHER, "local");
      }
    }
  }

  private void deferAll(List<Item> items, SmtpReply reply, FailureClass c, String relay) {
    for (Item it : items) {
      it.deferAll(reply, c, relay);
    }
  }

  private Route routeFor(RouteDecision d, RouteDecision.Target t) {
    TlsPolicy p = d.tlsPolicy();
    TlsMode mode = switch (p) {
      case NONE -> TlsMode.NONE;
      case OPPORTUNISTIC -> TlsMode.OPPORTUNISTIC;
      case REQUIRED -> TlsMode.REQUIRED;
      case REQUIRED_VERIFIED -> TlsMode.REQUIRED_VERIFIED;
      case IMPLICIT -> TlsMode.IMPLICIT;
    };
    // Connect to the address our own resolver found; SNI and the certificate check use the MX or
    // smarthost name (RFC 7672 section 3.2.2 reasoning: the name DNS gave, not the address).
    Route.Builder b = Route.builder(t.address().getAddress().getHostAddress(), t.address().getPort())
        .tlsServerName(t.host())
        .tlsMode(mode)
        .heloName(d.heloName().orElse(cfg.heloName()));
    d.sourceAddress().ifPresent(b::localAddress);
    if (d.destination().hop() instanceof NextHop.Relay relay) {
      Smarthost s = relay.smarthost();
      if (s.username().isPresent()) {
        b.credentials(Credentials.password(s.username().get(), s.password().get()));
      }
    }
    Route named = b.build();
    if (mode.isVerified()) {
      return named; // the certificate is checked against this name: never shared with another name
    }
    // No name is verified: a connection to the same address, port and settings can carry any
    // destination's transactions (as Postfix reuses its connection cache by address). The first
    // name that reached an address stays its route's SNI.
    return sharedRoutes.get(b.tlsServerName(null).build(), k -> named);
  }

  private static String relayName(RouteDecision.Target t) {
    String ip = t.address().getAddress().getHostAddress();
    return t.host() + "[" + ip + "]:" + t.address().getPort();
  }

  /** The envelope of one transaction: each recipient's NOTIFY and ORCPT from its queue record (RFC 3461). */
  private static Envelope envelope(Item it) {
    QueuedMessage m = it.active.message;
    List<Mailbox> rcpts = it.recipients.stream().map(RecipientRecord::mailbox).toList();
    Envelope.DsnReturn ret = m.ret().map(r -> Envelope.DsnReturn.valueOf(r.name())).orElse(null);
    Map<Mailbox, Envelope.RecipientDsn> dsn = new LinkedHashMap<>();
    for (RecipientRecord r : it.recipients) {
      if (r.notifyOn().isEmpty() && r.orcpt().isEmpty()) {
        continue;
      }
      Set<Envelope.DsnNotify> notify = EnumSet.noneOf(Envelope.DsnNotify.class);
      for (NotifyCondition n : r.notifyOn()) {
        notify.add(Envelope.DsnNotify.valueOf(n.name()));
      }
      // the relay records a plain rfc822 address; a store filled elsewhere may carry the type
      Optional<String> orcpt = r.orcpt().map(o -> o.regionMatches(true, 0, "rfc822;", 0, 7) ? o.substring(7).strip() : o);
      dsn.put(r.mailbox(), new Envelope.RecipientDsn(notify, orcpt));
    }
    return new Envelope(m.sender(), rcpts, Optional.ofNullable(ret), m.envId(), Set.of(), dsn);
  }

  private MessageContent content(QueuedMessage m) {
    QueueId id = m.id();
    MessageContent.Info info =
        new MessageContent.Info(m.size(), m.body() != BodyKind.SEVEN_BIT, m.smtpUtf8(), true, 998);
    return MessageContent.of(() -> store.openContent(id), info);
  }

  // ---------------------------------------------------------------- recording outcomes

  /** What one message's attempt records: the outcomes, the results decided and the next attempt time. */
  private record Plan(List<RecipientOutcome> outcomes, Map<Mailbox, Result> decided, Instant next) {
    DeliveryAttempt attempt() {
      return new DeliveryAttempt(outcomes, Optional.ofNullable(next));
    }
  }

  private Plan plan(Active a, Instant now) {
    QueuedMessage m = a.message;
    List<RecipientOutcome> outcomes = new ArrayList<>();
    Map<Mailbox, Result> decided = new LinkedHashMap<>();
    Instant next = null;
    for (RecipientRecord r : m.recipients()) {
      Result res = a.results.get(r.mailbox());
      if (res == null || r.state().isFinal()) {
        continue;
      }
      if (res.state == RecipientState.DEFERRED) {
        RetryDecision d = cfg.retryPolicy().decide(m.arrivalTime(), r.attempts() + 1, false, now);
        if (d.action() == RetryDecision.Action.EXPIRE) {
          res = res.expired();
        } else {
          Instant at = d.nextAttemptAt().orElseThrow();
          next = next == null || at.isBefore(next) ? at : next;
        }
      }
      decided.put(r.mailbox(), res);
      outcomes.add(res.toOutcome(r.mailbox()));
    }
    return new Plan(outcomes, decided, next);
  }

  /**
   * Hands the messages a job finished to the relay's recorders: whatever has accumulated goes to
   * the store in one {@link QueueStore#recordAttempts} call, so that the outcomes of many small jobs
   * (MX delivery to many domains: one or two messages per job) share one write and one fsync. The
   * calling thread records, and keeps recording what accumulated meanwhile, unless {@link
   * #MAX_RECORDERS} threads already do (group commit: while one call is in flight the next batch
   * gathers). A message stays in {@link #active} until its outcome is recorded, so {@link #close}
   * waits for records in flight. Only for a store that {@linkplain QueueStore#batchesAttemptRecords
   * batches} its records; with any other, each job records its own messages, in parallel.
   */
  private void finishBatch(List<Active> done) {
    if (done.isEmpty()) {
      return;
    }
    if (!coalesceRecords) {
      // a store that records entry by entry: jobs recording in parallel finish sooner
      recordBatch(done);
      return;
    }
    synchronized (toRecord) {
      toRecord.addAll(done);
      if (recorders >= MAX_RECORDERS) {
        return; // a recorder in flight takes them with its next call
      }
      recorders++;
    }
    boolean left = false;
    try {
      while (true) {
        List<Active> batch;
        synchronized (toRecord) {
          if (toRecord.isEmpty()) {
            recorders--;
            left = true;
            return;
          }
          batch = new ArrayList<>(Math.min(toRecord.size(), MAX_RECORD_BATCH));
          while (!toRecord.isEmpty() && batch.size() < MAX_RECORD_BATCH) {
            batch.add(toRecord.poll());
          }
        }
        try {
          recordBatch(batch);
        } catch (RuntimeException e) {
          ENGINE.error("recording the outcomes of {} messages failed; they will be retried when their leases run out",
              batch.size(), e);
          for (Active a : batch) {
            active.remove(a.message.id());
          }
          wakeUp();
        }
      }
    } finally {
      if (!left) {
        synchronized (toRecord) {
          recorders--;
        }
      }
    }
  }

  /**
   * Records the outcomes of finished messages, all in one {@link QueueStore#recordAttempts}
   * call (one fsync for the file store instead of a record and a removal per message), completing
   * those with nothing left to do in the same write. Messages that need more (a bounce, a delay
   * warning, a success notice, a retry) continue on their own tasks, so that their further writes
   * still share fsyncs with each other (group commit).
   */
  private void recordBatch(List<Active> done) {
    Instant now = clock.instant();
    List<Active> batch = new ArrayList<>(done.size());
    List<Plan> plans = new ArrayList<>(done.size());
    List<AttemptRecord> records = new ArrayList<>(done.size());
    for (Active a : done) {
      a.finishing = true;
      Plan p = a.abandoned && a.results.isEmpty() ? null : plan(a, now);
      if (p == null || p.outcomes().isEmpty()) {
        submit(() -> finish(a));
        continue;
      }
      batch.add(a);
      plans.add(p);
      records.add(new AttemptRecord(a.lease, p.attempt(), !wantsSuccessNotice(a.message, p.decided())));
    }
    if (records.isEmpty()) {
      return;
    }
    List<RecordedAttempt> results;
    try {
      results = store.recordAttempts(records, now);
    } catch (IOException | RuntimeException e) {
      ENGINE.error("recording the outcomes of {} messages failed; they will be retried when their leases run out",
          batch.size(), e);
      for (Active a : batch) {
        active.remove(a.message.id());
      }
      wakeUp();
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      Active a = batch.get(i);
      Plan p = plans.get(i);
      RecordedAttempt r = results.get(i);
      QueuedMessage m = a.message;
      MDC.put("queueId", m.id().toString());
      boolean more = false;
      try {
        if (r.leaseLost().isPresent()) {
          ENGINE.warn("lease of {} lost before its outcomes were recorded ({}); delivered recipients were kept",
              m.id(), r.leaseLost().get().getMessage());
          continue;
        }
        QueuedMessage updated = r.message().orElseThrow();
        logAndTell(m, updated, p.decided(), now);
        if (r.completed()) {
          completed(updated, p.decided(), now);
        } else {
          more = true;
          submit(() -> finishRecorded(a, updated, p.decided(), now));
        }
      } catch (RuntimeException e) {
        ENGINE.error("after recording the outcome of {}", m.id(), e);
      } finally {
        MDC.remove("queueId");
        if (!more) {
          active.remove(m.id());
        }
      }
    }
    wakeUp();
  }

  /** NOTIFY=SUCCESS asked for a recipient delivered to a next hop without DSN (see successNotices). */
  private static boolean wantsSuccessNotice(QueuedMessage m, Map<Mailbox, Result> decided) {
    if (m.sender().isNull()) {
      return false;
    }
    for (RecipientRecord r : m.recipients()) {
      Result res = decided.get(r.mailbox());
      if (res != null && res.state == RecipientState.DELIVERED && res.nextHopLacksDsn
          && r.notifyOn().contains(NotifyCondition.SUCCESS)) {
        return true;
      }
    }
    return false;
  }

  /** The rest of {@link #finish} for a message whose attempt was recorded by {@link #finishBatch}. */
  private void finishRecorded(Active a, QueuedMessage updated, Map<Mailbox, Result> decided, Instant now) {
    QueuedMessage m = a.message;
    MDC.put("queueId", m.id().toString());
    try {
      afterRecord(a, updated, decided, now);
    } catch (LeaseLostException e) {
      ENGINE.warn("lease of {} lost: {}", m.id(), e.getMessage());
    } catch (IOException | RuntimeException e) {
      ENGINE.error("recording the outcome of {} failed; it will be retried when its lease runs out", m.id(), e);
    } finally {
      MDC.remove("queueId");
      active.remove(m.id());
      wakeUp();
    }
  }

  private void finish(Active a) {
    a.finishing = true;
    QueuedMessage m = a.message;
    MDC.put("queueId", m.id().toString());
    try {
      if (a.abandoned && a.results.isEmpty()) {
        release(a);
        return;
      }
      Instant now = clock.instant();
      Plan p = plan(a, now);
      QueuedMessage updated = m;
      if (!p.outcomes().isEmpty()) {
        try {
          updated = store.recordAttempt(a.lease, p.attempt(), now);
        } catch (LeaseLostException e) {
          ENGINE.warn("lease of {} lost before its outcomes were recorded ({}); delivered recipients were kept",
              m.id(), e.getMessage());
          return;
        }
        logAndTell(m, updated, p.decided(), now);
      }
      afterRecord(a, updated, p.decided(), now);
    } catch (LeaseLostException e) {
      ENGINE.warn("lease of {} lost: {}", m.id(), e.getMessage());
    } catch (IOException | RuntimeException e) {
      ENGINE.error("recording the outcome of {} failed; it will be retried when its lease runs out", m.id(), e);
    } finally {
      MDC.remove("queueId");
      active.remove(m.id());
      wakeUp();
    }
  }

  /** Notices, then completion or release, once the attempt is recorded. */
  private void afterRecord(Active a, QueuedMessage recorded, Map<Mailbox, Result> decided, Instant now)
      throws IOException {
    QueuedMessage updated = recorded;
    notifyOnFailure(a, updated, decided, now);
    updated = delayWarnings(a, updated, now);
    successNotices(a, updated, decided);
    if (updated.allFinal()) {
      store.complete(a.lease, now);
      completed(updated, decided, now);
    } else {
      store.releaseLease(a.lease, now);
    }
  }

  private void completed(QueuedMessage updated, Map<Mailbox, Result> decided, Instant now) {
    DeliveryReport report = report(updated, decided, now);
    for (RelayListener l : cfg.listeners()) {
      try {
        l.onCompleted(report);
      } catch (RuntimeException e) {
        ENGINE.warn("listener {} threw from onCompleted; ignored", l, e);
      }
    }
    completeFuture(updated.id(), report);
  }

  private void release(Active a) {
    try {
      store.releaseLease(a.lease, clock.instant());
    } catch (IOException | RuntimeException e) {
      ENGINE.warn("releasing the lease of {} failed; it becomes due when the lease runs out", a.message.id(), e);
    }
  }

  private void completeFuture(QueueId id, DeliveryReport report) {
    CompletableFuture<DeliveryReport> f = futures.remove(id);
    if (f != null) {
      f.complete(report);
      return;
    }
    if (!closing) {
      early.put(id, report);
      f = futures.remove(id);
      if (f != null) {
        early.invalidate(id);
        f.complete(report);
      }
    }
  }

  private DeliveryReport report(QueuedMessage m, Map<Mailbox, Result> decided, Instant now) {
    List<RecipientReport> list = new ArrayList<>();
    for (RecipientRecord r : m.recipients()) {
      Result res = decided.get(r.mailbox());
      Optional<FailureClass> c = r.state() == RecipientState.DELIVERED ? Optional.empty()
          : res != null && res.failureClass != null ? Optional.of(res.failureClass)
              : Optional.of(recorded(r));
      list.add(new RecipientReport(r.mailbox(), r.state(), r.lastReply(), c, r.remoteMta(), r.attempts()));
    }
    return new DeliveryReport(m.id(), m.sender(), list, now);
  }

  private void logAndTell(QueuedMessage before, QueuedMessage after, Map<Mailbox, Result> decided, Instant now) {
    Duration delay = Duration.between(before.arrivalTime(), now);
    for (Map.Entry<Mailbox, Result> e : decided.entrySet()) {
      Result res = e.getValue();
      RecipientRecord rec = after.recipient(e.getKey()).orElse(null);
      int attempts = rec != null ? rec.attempts() : 0;
      String status = switch (res.state) {
        case DELIVERED -> "sent";
        case DEFERRED -> "deferred";
        case EXPIRED -> "expired";
        default -> "bounced";
      };
      if (LOG.isInfoEnabled()) { // the arguments cost more than the call: format them only when logged
        LOG.info("to=<{}>, relay={}, delay={}, tries={}, dsn={}, status={} ({})",
            e.getKey().address(), res.relay == null ? "none" : res.relay, seconds(delay), attempts,
            status(res.reply), status, oneLine(res.reply));
      }
      if (cfg.listeners().isEmpty()) {
        continue;
      }
      DeliveryEvent.Type type = switch (res.state) {
        case DELIVERED -> DeliveryEvent.Type.DELIVERED;
        case DEFERRED -> DeliveryEvent.Type.DEFERRED;
        case EXPIRED -> DeliveryEvent.Type.EXPIRED;
        default -> DeliveryEvent.Type.BOUNCED;
      };
      DeliveryEvent ev = event(type, before, e.getKey(), res, attempts, now);
      for (RelayListener l : cfg.listeners()) {
        call(l, "onAttempt", () -> l.onAttempt(ev));
        if (type == DeliveryEvent.Type.DELIVERED) {
          call(l, "onDelivered", () -> l.onDelivered(ev));
        } else if (type == DeliveryEvent.Type.DEFERRED) {
          call(l, "onDeferred", () -> l.onDeferred(ev));
        }
      }
    }
  }

  private DeliveryEvent event(DeliveryEvent.Type type, QueuedMessage m, Mailbox rcpt, Result res, int attempts, Instant now) {
    Optional<SmtpReply> reply = Optional.ofNullable(res == null ? null : res.reply);
    Optional<EnhancedStatus> es = reply.flatMap(SmtpReply::enhancedStatus);
    Optional<FailureClass> c = type == DeliveryEvent.Type.DELIVERED ? Optional.empty()
        : Optional.of(res != null && res.failureClass != null ? res.failureClass : FailureClass.OTHER);
    return new DeliveryEvent(type, m.id(), m.sender(), rcpt, reply, es, c,
        Optional.ofNullable(res == null ? null : res.relay), attempts, now, Duration.between(m.arrivalTime(), now));
  }

  private Result fromRecord(RecipientRecord r) {
    SmtpReply reply = r.lastReply().orElse(synthetic(554, "5.0.0", "failed"));
    FailureClass c = recorded(r);
    Result res = new Result(r.state(), reply, c, r.remoteMta().orElse(null), false);
    return res;
  }

  private void call(RelayListener l, String what, Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      ENGINE.warn("listener {} threw from {}; ignored", l, what, e);
    }
  }

  /** Bounces every failed or expired recipient not yet handled, one bounce per message and attempt. */
  private void notifyOnFailure(Active a, QueuedMessage m, Map<Mailbox, Result> decided, Instant now) throws IOException {
    List<RecipientRecord> unhandled = m.recipients().stream()
        .filter(r -> (r.state() == RecipientState.FAILED || r.state() == RecipientState.EXPIRED) && !r.bounceSent())
        .toList();
    if (unhandled.isEmpty()) {
      return;
    }
    boolean nullSender = m.sender().isNull();
    List<RecipientRecord> toReport = nullSender ? List.of()
        : unhandled.stream().filter(r -> wants(r, NotifyCondition.FAILURE)).toList();
    if (!toReport.isEmpty()) {
      List<BounceBuilder.RecipientReport> reports = toReport.stream()
          .map(r -> noticeReport(r, RecipientStatus.Action.FAILED, classOf(r, decided), now)).toList();
      Optional<BounceBuilder.Notice> notice = cfg.bounces().failure(original(m), m.arrivalTime(), reports);
      if (notice.isPresent()) {
        enqueueNotice(m, notice.get(), "bounce", toReport, now);
      }
    }
    store.markNotified(a.lease, Notification.BOUNCE, unhandled.stream().map(RecipientRecord::mailbox).toList(), now);
    for (RecipientRecord r : unhandled) {
      Result res = decided.containsKey(r.mailbox()) ? decided.get(r.mailbox()) : fromRecord(r);
      DeliveryEvent.Type type = nullSender ? DeliveryEvent.Type.BOUNCE_DROPPED
          : r.state() == RecipientState.EXPIRED ? DeliveryEvent.Type.EXPIRED : DeliveryEvent.Type.BOUNCED;
      if (nullSender) {
        LOG.info("to=<{}>, status=dropped (undeliverable bounce, never bounced itself: {})",
            r.mailbox().address(), oneLine(res.reply));
      }
      DeliveryEvent ev = event(type, m, r.mailbox(), res, r.attempts(), now);
      for (RelayListener l : cfg.listeners()) {
        switch (type) {
          case BOUNCE_DROPPED -> call(l, "onBounceDropped", () -> l.onBounceDropped(ev));
          case EXPIRED -> call(l, "onExpired", () -> l.onExpired(ev));
          default -> call(l, "onBounced", () -> l.onBounced(ev));
        }
      }
    }
  }

  private QueuedMessage delayWarnings(Active a, QueuedMessage m, Instant now) throws IOException {
    if (m.sender().isNull() || cfg.retryPolicy().delayWarningAfter().isEmpty()) {
      return m;
    }
    List<RecipientRecord> due = m.recipients().stream()
        .filter(r -> r.state() == RecipientState.DEFERRED)
        .filter(r -> cfg.retryPolicy().delayWarningDue(m.arrivalTime(), r.delayWarningSent(), now))
        .toList();
    if (due.isEmpty()) {
      return m;
    }
    List<RecipientRecord> wanted = due.stream().filter(r -> wants(r, NotifyCondition.DELAY)).toList();
    if (!wanted.isEmpty()) {
      List<BounceBuilder.RecipientReport> reports = wanted.stream()
          .map(r -> noticeReport(r, RecipientStatus.Action.DELAYED, classOf(r, Map.of()), now)).toList();
      Optional<BounceBuilder.Notice> notice = cfg.bounces().delay(original(m), m.arrivalTime(), reports,
          m.arrivalTime().plus(cfg.retryPolicy().giveUpAfter()));
      if (notice.isPresent()) {
        enqueueNotice(m, notice.get(), "delay", wanted, now);
      }
    }
    QueuedMessage updated = store.markNotified(a.lease, Notification.DELAY_WARNING,
        due.stream().map(RecipientRecord::mailbox).toList(), now);
    for (RecipientRecord r : wanted) {
      DeliveryEvent ev = event(DeliveryEvent.Type.DELAY_WARNING, m, r.mailbox(), fromRecord(r), r.attempts(), now);
      for (RelayListener l : cfg.listeners()) {
        call(l, "onDelayWarning", () -> l.onDelayWarning(ev));
      }
    }
    return updated;
  }

  /** NOTIFY=SUCCESS to a next hop without DSN: we report "relayed" ourselves (RFC 3461 section 4.2). */
  private void successNotices(Active a, QueuedMessage m, Map<Mailbox, Result> decided) throws IOException {
    if (m.sender().isNull()) {
      return;
    }
    List<RecipientRecord> relayed = m.recipients().stream()
        .filter(r -> r.state() == RecipientState.DELIVERED)
        .filter(r -> decided.containsKey(r.mailbox()) && decided.get(r.mailbox()).nextHopLacksDsn)
        .filter(r -> r.notifyOn().contains(NotifyCondition.SUCCESS))
        .toList();
    if (relayed.isEmpty()) {
      return;
    }
    Instant now = clock.instant();
    List<BounceBuilder.RecipientReport> reports = relayed.stream()
        .map(r -> noticeReport(r, RecipientStatus.Action.RELAYED, FailureClass.NONE, now)).toList();
    Optional<BounceBuilder.Notice> notice = cfg.bounces().success(original(m), m.arrivalTime(), reports, true);
    if (notice.isPresent()) {
      enqueueNotice(m, notice.get(), "relayed", relayed, now);
    }
  }

  /** What the bounce builder needs of a queued message; the content is read only when the notice is built. */
  private BounceBuilder.Original original(QueuedMessage m) {
    return new BounceBuilder.Original(m.sender(), m.smtpUtf8(), m.size(),
        m.ret().map(r -> DsnReturn.valueOf(r.name())), m.envId(), () -> store.openContent(m.id()));
  }

  /** One recipient's line in a notice, from its queue record. */
  private static BounceBuilder.RecipientReport noticeReport(
      RecipientRecord r, RecipientStatus.Action action, FailureClass c, Instant now) {
    Set<DsnNotify> notify = EnumSet.noneOf(DsnNotify.class);
    for (NotifyCondition n : r.notifyOn()) {
      notify.add(DsnNotify.valueOf(n.name()));
    }
    Recipient rcpt = new Recipient(r.mailbox(), notify, r.orcpt());
    return new BounceBuilder.RecipientReport(rcpt, noticeStatus(action, r), r.lastReply(),
        r.remoteMta().map(DeliveryEngine::hostOf), c, r.state() == RecipientState.EXPIRED
            ? "gave up after retrying until the message expired" : "",
        r.lastAttemptAt().orElse(now));
  }

  /** The RFC 3463 status a notice reports: the reply's own, its class fitted to the action (RFC 3464 section 2.3.4). */
  private static EnhancedStatus noticeStatus(RecipientStatus.Action action, RecipientRecord r) {
    Optional<EnhancedStatus> es = r.lastReply().flatMap(SmtpReply::enhancedStatus);
    return switch (action) {
      case FAILED -> es.map(s -> EnhancedStatus.of(5, s.subject(), s.detail()))
          .orElse(r.state() == RecipientState.EXPIRED ? EnhancedStatus.of(5, 4, 7) : EnhancedStatus.of(5, 0, 0));
      case DELAYED -> es.map(s -> EnhancedStatus.of(4, s.subject(), s.detail())).orElse(EnhancedStatus.of(4, 0, 0));
      default -> EnhancedStatus.of(2, 0, 0);
    };
  }

  /** The host name of a relay name such as {@code mx.example.net[192.0.2.1]:25}. */
  private static String hostOf(String relay) {
    int b = relay.indexOf('[');
    return b > 0 ? relay.substring(0, b) : relay;
  }

  private void enqueueNotice(
      QueuedMessage m, BounceBuilder.Notice n, String kind, List<RecipientRecord> about, Instant now)
      throws IOException {
    byte[] notice = n.content();
    NewMessage.Builder b = NewMessage.builder(Mailbox.NULL)
        .recipient(new NewRecipient(m.sender(), Set.of(NotifyCondition.NEVER), Optional.empty()))
        .body(n.eightBit() || n.smtpUtf8() ? BodyKind.EIGHT_BIT_MIME : BodyKind.SEVEN_BIT)
        .smtpUtf8(n.smtpUtf8() || m.sender().needsSmtpUtf8())
        .tag("dsn")
        .tag("dsn-" + kind)
        .idempotencyKey("dsn:" + kind + ":" + m.id() + ":" + digest(about));
    m.tenant().ifPresent(t -> b.tenant(t));
    QueueId id = store.enqueue(b.build(), org.relaymail.queue.MessageContent.of(notice), now);
    MDC.put("queueId", id.toString());
    LOG.info("from=<>, to=<{}>, size={}, notice={} for {}", m.sender().address(), notice.length, kind, m.id());
    MDC.put("queueId", m.id().toString());
    wakeUp();
  }

  private static String digest(List<RecipientRecord> about) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      about.stream().map(r -> r.mailbox().address().toLowerCase(Locale.ROOT)).sorted()
          .forEach(s -> md.update((s + "\n").getBytes(StandardCharsets.UTF_8)));
      return HexFormat.of().formatHex(md.digest(), 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  private static boolean wants(RecipientRecord r, NotifyCondition c) {
    Set<NotifyCondition> n = r.notifyOn();
    if (n.contains(NotifyCondition.NEVER)) {
      return false;
    }
    // RFC 3461 section 4.1: without NOTIFY, failures are reported; delays at the MTA's discretion (we do)
    return n.isEmpty() ? c != NotifyCondition.SUCCESS : n.contains(c);
  }

  private FailureClass classOf(RecipientRecord r, Map<Mailbox, Result> decided) {
    Result res = decided.get(r.mailbox());
    if (res != null && res.failureClass != null) {
      return res.failureClass;
    }
    return recorded(r);
  }

  /** The class the queue recorded for a recipient; OTHER when it recorded none. */
  private static FailureClass recorded(RecipientRecord r) {
    return r.failureClass() == FailureClass.NONE ? FailureClass.OTHER : r.failureClass();
  }

  private static String seconds(Duration d) {
    long ms = d.toMillis();
    return ms < 100_000 ? String.format(Locale.ROOT, "%.2f", ms / 1000.0) : Long.toString(ms / 1000);
  }

  private static String status(SmtpReply r) {
    return r == null ? "-" : r.enhancedStatus().map(EnhancedStatus::toString)
        .orElse(r.isPositive() ? "2.0.0" : r.isPermanent() ? "5.0.0" : "4.0.0");
  }

  private static String oneLine(SmtpReply r) {
    if (r == null) {
      return "";
    }
    return BounceBuilder.fold(r.code() + " " + String.join(" ", r.lines()));
  }

  /**
   * A reply made up by the relay for a local reason, in the form of a server's reply, its text
   * starting with {@code relaymail:}.
   *
   * @param code the reply code
   * @param status the enhanced status
   * @param text the reason
   * @return the reply
   */
  public static SmtpReply synthetic(int code, String status, String text) {
    String clean = BounceBuilder.fold(text == null ? "" : text);
    return SmtpReply.of(code, status + " relaymail: " + clean);
  }

  // ---------------------------------------------------------------- close

  /**
   * Stops claiming, waits up to {@code timeout} for deliveries in flight, then aborts the rest (a
   * transaction aborted after its final dot may be sent again later: a possible duplicate) and
   * releases their leases.
   *
   * @param timeout how long to wait for deliveries in flight
   * @return true when everything in flight finished within the timeout
   */
  public boolean close(Duration timeout) {
    closing = true;
    running = false;
    wakeUp();
    if (dispatcher != null) {
      try {
        dispatcher.join(Math.max(1, timeout.toMillis()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    boolean clean = awaitIdle(timeout);
    if (!clean) {
      ENGINE.warn("{} message(s) still in delivery after {}; aborting their connections (a transaction cut after "
          + "its final dot may be delivered twice)", active.size(), timeout);
      aborting = true;
      cfg.pool().close();
      awaitIdle(Duration.ofSeconds(10));
      for (Active a : active.values()) {
        release(a);
      }
    }
    for (Map.Entry<QueueId, CompletableFuture<DeliveryReport>> e : futures.entrySet()) {
      if (futures.remove(e.getKey(), e.getValue())) {
        e.getValue().completeExceptionally(new RelayClosedException(e.getKey()));
      }
    }
    return clean;
  }

  private boolean awaitIdle(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (!(active.isEmpty() && jobs.get() == 0)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns how many messages are being delivered now.
   *
   * @return the count
   */
  public int activeMessages() {
    return active.size();
  }

  // ---------------------------------------------------------------- state

  /** A claimed message being delivered. */
  private static final class Active {
    volatile Lease lease;
    final QueuedMessage message;
    final AtomicInteger pendingJobs = new AtomicInteger();
    final Map<Mailbox, Result> results = new ConcurrentHashMap<>();
    volatile boolean lost;
    volatile boolean abandoned;
    volatile boolean finishing;

    Active(Lease lease, QueuedMessage message) {
      this.lease = lease;
      this.message = message;
    }

    void result(RecipientRecord r, Result res) {
      results.put(r.mailbox(), res);
    }

    void resultIfAbsent(RecipientRecord r, Result res) {
      results.putIfAbsent(r.mailbox(), res);
    }
  }

  /** Some recipients of one message going to one destination. */
  private static final class Item {
    final Active active;
    final List<RecipientRecord> recipients;

    Item(Active active, List<RecipientRecord> recipients) {
      this.active = active;
      this.recipients = recipients;
    }

    RecipientRecord record(Mailbox m) {
      for (RecipientRecord r : recipients) {
        if (r.mailbox().equals(m)) {
          return r;
        }
      }
      return null;
    }

    void deferAll(SmtpReply reply, FailureClass c, String relay) {
      for (RecipientRecord r : recipients) {
        active.resultIfAbsent(r, Result.deferred(reply, c, relay));
      }
    }
  }

  /** One recipient's outcome in one attempt. */
  private static final class Result {
    final RecipientState state;
    final SmtpReply reply;
    final FailureClass failureClass;
    final String relay;
    final boolean nextHopLacksDsn;

    Result(RecipientState state, SmtpReply reply, FailureClass failureClass, String relay, boolean nextHopLacksDsn) {
      this.state = state;
      this.reply = reply;
      this.failureClass = failureClass;
      this.relay = relay;
      this.nextHopLacksDsn = nextHopLacksDsn;
    }

    static Result delivered(SmtpReply reply, String relay, boolean lacksDsn) {
      return new Result(RecipientState.DELIVERED, reply, null, relay, lacksDsn);
    }

    static Result failed(SmtpReply reply, FailureClass c, String relay) {
      return new Result(RecipientState.FAILED, reply, c, relay, false);
    }

    static Result deferred(SmtpReply reply, FailureClass c, String relay) {
      return new Result(RecipientState.DEFERRED, reply, c, relay, false);
    }

    Result expired() {
      return new Result(RecipientState.EXPIRED, reply, failureClass, relay, false);
    }

    RecipientOutcome toOutcome(Mailbox m) {
      String mta = relay;
      return switch (state) {
        case DELIVERED -> RecipientOutcome.delivered(m, reply, mta);
        case FAILED -> RecipientOutcome.failed(m, reply, mta, failureClass);
        case EXPIRED -> RecipientOutcome.expired(m, reply, mta, failureClass);
        default -> RecipientOutcome.deferred(m, reply, mta, failureClass);
      };
    }
  }
}
