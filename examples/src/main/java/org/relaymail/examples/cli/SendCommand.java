package org.relaymail.examples.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.relaymail.client.ConnectionSettings;
import org.relaymail.client.Credentials;
import org.relaymail.client.Envelope;
import org.relaymail.client.MessageContent;
import org.relaymail.client.RecipientResult;
import org.relaymail.client.SmtpClient;
import org.relaymail.client.TlsMode;
import org.relaymail.client.TransactionResult;
import org.relaymail.protocol.DsnNotify;
import org.relaymail.protocol.DsnReturn;
import org.relaymail.protocol.InvalidAddressException;
import org.relaymail.protocol.Mailbox;
import org.relaymail.queue.ClaimedMessage;
import org.relaymail.queue.FileQueueStore;
import org.relaymail.queue.ForwardingQueueStore;
import org.relaymail.queue.InMemoryQueueStore;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueueStore;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientRecord;
import org.relaymail.queue.RetryPolicy;
import org.relaymail.queue.SpoolLockedException;
import org.relaymail.relay.DeliveryReport;
import org.relaymail.relay.InvalidMessageException;
import org.relaymail.relay.OutgoingMessage;
import org.relaymail.relay.RecipientReport;
import org.relaymail.relay.RelayAdmin;
import org.relaymail.relay.RelayAdminException;
import org.relaymail.relay.RelayClient;
import org.relaymail.relay.SendReceipt;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code relaymail send}: like {@code sendmail -t}. Reads a message from a file or standard input,
 * takes the recipients from To, Cc and Bcc (or the command line), removes Bcc, and sends it through
 * a smarthost ({@code --host}), directly by MX in the foreground ({@code --mx}, retrying transient
 * failures up to {@code --wait}), or queues it in a spool directory ({@code --spool}) for a relay
 * running on that spool: through that relay's admin channel ({@code DIR/admin.sock}) when it runs,
 * directly in the spool when no process holds it. Prints one line per recipient.
 */
@Command(name = "send", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Send a message like sendmail -t: recipients from To, Cc and Bcc (Bcc removed).",
        "Exit 0 when every recipient was accepted (or queued), 75 when some are still deferred, "
            + "69 when some failed permanently, 65 for a bad message, 64 for bad options."})
final class SendCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @ParentCommand
  RelaymailCommand top;

  @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "the message (RFC 5322); default: standard input")
  Path file;

  @Option(names = "--from", paramLabel = "ADDRESS", description = "envelope sender (MAIL FROM); default: the From address")
  String from;

  @Option(names = "--to", paramLabel = "ADDRESS", split = ",",
      description = "recipients instead of those in To, Cc and Bcc")
  List<String> to = new ArrayList<>();

  @ArgGroup(exclusive = true, multiplicity = "1")
  Mode mode;

  static final class Mode {
    @Option(names = "--host", paramLabel = "HOST", required = true, description = "send through this smarthost")
    String host;

    @Option(names = "--mx", required = true, description = "deliver directly to the recipients' MX hosts, in the foreground")
    boolean mx;

    @Option(names = "--spool", paramLabel = "DIR", required = true,
        description = "queue in this spool directory for a relay on it to deliver: through the running relay's "
            + "admin socket DIR/admin.sock, or directly when no relay holds the spool")
    Path spool;
  }

  // smarthost options
  @Option(names = {"-p", "--port"}, defaultValue = "587", description = "smarthost port (default ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--tls",
      description = "smarthost TLS: ${COMPLETION-CANDIDATES} (default REQUIRED_VERIFIED; IMPLICIT for port 465)")
  TlsMode tls;

  @Option(names = {"-u", "--user"}, description = "AUTH user at the smarthost")
  String user;

  @Option(names = "--password-env", paramLabel = "VAR", defaultValue = "SMTP_PASSWORD",
      description = "environment variable holding the password (default ${DEFAULT-VALUE}); "
          + "when unset, the password is asked for on the terminal")
  String passwordEnv;

  @Option(names = "--cacert", paramLabel = "PEM_FILE",
      description = "with --host: trust only the CA certificates in this PEM file (instead of the JDK's trust store) "
          + "when verifying the smarthost's certificate, e.g. for a private CA")
  Path caCert;

  // MX and spool options
  @Option(names = "--helo", paramLabel = "FQDN",
      description = "the name this host announces (with --mx, and with --spool when no relay runs on it; "
          + "a fully qualified name with PTR and SPF)")
  String helo;

  @Option(names = "--wait", defaultValue = "PT2M", paramLabel = "DURATION",
      description = "with --mx: retry transient failures for this long (ISO-8601, default ${DEFAULT-VALUE})")
  Duration waitFor;

  @Option(names = "--retry-interval", defaultValue = "PT15S", paramLabel = "DURATION",
      description = "with --mx: time between attempts (default ${DEFAULT-VALUE})")
  Duration retryInterval;

  @Mixin
  DnsOptions dns;

  // DSN (RFC 3461)
  @Option(names = "--notify", split = ",", paramLabel = "WHEN",
      description = "DSN NOTIFY: NEVER or any of SUCCESS,FAILURE,DELAY")
  Set<DsnNotify> notify = EnumSet.noneOf(DsnNotify.class);

  @Option(names = "--ret", paramLabel = "FULL|HDRS", description = "DSN RET: return the full message or its headers")
  DsnReturn ret;

  @Option(names = "--envid", paramLabel = "ID", description = "DSN ENVID")
  String envid;

  @Override
  public Integer call() throws Exception {
    byte[] raw = readMessage();
    HeaderSection headers = HeaderSection.parse(raw);
    List<Mailbox> rcpts = new ArrayList<>();
    for (String r : to.isEmpty() ? new ArrayList<>(headers.recipients()) : to) {
      rcpts.add(mailbox(r, "recipient"));
    }
    if (rcpts.isEmpty()) {
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE,
          "no recipients: the message has no To, Cc or Bcc field and no --to was given");
    }
    String senderText = from != null ? from : headers.from().orElseThrow(() -> new RelaymailCommand.CliException(
        RelaymailCommand.EX_USAGE, "no sender: the message has no From field and no --from was given"));
    Mailbox sender = senderText.isEmpty() || senderText.equals("<>") ? Mailbox.NULL : mailbox(senderText, "sender");
    byte[] content = headers.withoutBcc();
    if (notify.contains(DsnNotify.NEVER) && notify.size() > 1) {
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE,
          "--notify NEVER cannot be combined with other values (RFC 3461 section 4.1)");
    }
    if (mode.host != null) {
      return viaSmarthost(sender, rcpts, content);
    }
    return viaRelay(sender, rcpts, content);
  }

  private byte[] readMessage() throws IOException {
    try {
      if (file != null) {
        return Files.readAllBytes(file);
      }
      try (InputStream in = System.in) {
        return in.readAllBytes();
      }
    } catch (NoSuchFileException e) {
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE, "no such file: " + file, e);
    }
  }

  private static Mailbox mailbox(String s, String what) {
    try {
      String t = s.trim();
      return t.startsWith("<") ? Mailbox.parsePath(t) : Mailbox.parse(t);
    } catch (InvalidAddressException e) {
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE, "bad " + what + " address '" + s + "': " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- smarthost

  private int viaSmarthost(Mailbox sender, List<Mailbox> rcpts, byte[] content) throws IOException {
    SmtpClient.Builder b = SmtpClient.builder(mode.host, port).tlsMode(effectiveTls()).maxConnections(1);
    if (helo != null) {
      b.heloName(helo);
    }
    if (caCert != null) {
      b.settings(ConnectionSettings.builder().sslContext(trusting(caCert)).build());
    }
    if (user != null) {
      b.credentials(Credentials.password(user, password()));
    }
    Envelope env = Envelope.of(sender, rcpts);
    if (!notify.isEmpty() || ret != null || envid != null) {
      Set<Envelope.DsnNotify> n = EnumSet.noneOf(Envelope.DsnNotify.class);
      notify.forEach(x -> n.add(Envelope.DsnNotify.valueOf(x.name())));
      env = env.withDsn(ret == null ? null : Envelope.DsnReturn.valueOf(ret.name()), envid, n);
    }
    PrintWriter out = spec.commandLine().getOut();
    TransactionResult result;
    try (SmtpClient client = b.build()) {
      result = client.send(env, MessageContent.of(content));
    }
    boolean permanent = false;
    boolean transientFailure = false;
    for (RecipientResult r : result.recipients()) {
      String what = switch (r.status()) {
        case ACCEPTED -> "accepted";
        case TRANSIENT -> "deferred";
        case PERMANENT -> "failed";
      };
      permanent |= r.status() == RecipientResult.Status.PERMANENT;
      transientFailure |= r.status() == RecipientResult.Status.TRANSIENT;
      out.println(r.recipient() + ": " + what + " by " + mode.host + ":" + port + ": " + r.reply());
    }
    out.flush();
    return permanent ? RelaymailCommand.EX_UNAVAILABLE : transientFailure ? RelaymailCommand.EX_TEMPFAIL : 0;
  }

  /**
   * The smarthost TLS mode: {@code --tls} when given, else implicit TLS on port 465 (RFC 8314
   * section 3.3) and verified STARTTLS on any other port.
   */
  TlsMode effectiveTls() {
    if (tls != null) {
      return tls;
    }
    return port == 465 ? TlsMode.IMPLICIT : TlsMode.REQUIRED_VERIFIED;
  }

  private char[] password() {
    String env = top.environment.apply(passwordEnv);
    if (env != null) {
      return env.toCharArray();
    }
    char[] p = top.prompt.ask("Password for " + user + " at " + mode.host + ": ");
    if (p == null) {
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE,
          "no password for " + user + ": set $" + passwordEnv + " or run on a terminal to be asked");
    }
    return p;
  }

  /** An SSL context trusting exactly the certificates in a PEM file. */
  private static SSLContext trusting(Path pem) {
    try (InputStream in = Files.newInputStream(pem)) {
      Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE, "--cacert " + pem + ": no certificate in the file");
      }
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (Certificate c : certs) {
        trust.setCertificateEntry("ca" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (NoSuchFileException e) {
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE, "--cacert: no such file: " + pem, e);
    } catch (IOException | GeneralSecurityException e) {
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE,
          "--cacert " + pem + ": not a PEM file of X.509 certificates: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- MX and spool

  private void requireHelo() {
    if (helo == null) {
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE, "--helo FQDN is required with --mx, and with"
          + " --spool when no relay runs on the spool: the name this host announces, never guessed");
    }
  }

  private int viaRelay(Mailbox sender, List<Mailbox> rcpts, byte[] content) throws Exception {
    if (mode.mx) {
      requireHelo();
    }
    OutgoingMessage.Builder mb = OutgoingMessage.builder().sender(sender).content(content);
    for (Mailbox r : rcpts) {
      mb.recipient(r, notify);
    }
    if (ret != null) {
      mb.dsnReturn(ret);
    }
    if (envid != null) {
      mb.envelopeId(envid);
    }
    OutgoingMessage message = mb.build();
    PrintWriter out = spec.commandLine().getOut();
    return mode.mx ? foreground(message, out) : spool(message, out);
  }

  private RelayClient.Builder relay(QueueStore store) {
    try {
      return RelayClient.builder().store(store).heloName(helo).dns(dns.settings()).routing(dns.routing())
          .closeTimeout(Duration.ofSeconds(10));
    } catch (IllegalArgumentException e) {
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_USAGE, e.getMessage(), e);
    }
  }

  private int foreground(OutgoingMessage message, PrintWriter out) throws Exception {
    // retry transient failures every --retry-interval; never give up (and bounce) within --wait
    RetryPolicy policy = RetryPolicy.builder().fixedDelay(retryInterval)
        .giveUpAfter(waitFor.plus(retryInterval).plus(Duration.ofHours(1))).noDelayWarning().build();
    Instant deadline = Instant.now().plus(waitFor);
    try (InMemoryQueueStore store = new InMemoryQueueStore();
        RelayClient relay = relay(store).retryPolicy(policy).build()) {
      SendReceipt receipt = send(relay, message);
      DeliveryReport report;
      try {
        report = receipt.outcome().get(Math.max(1, Duration.between(Instant.now(), deadline).toMillis()), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        return stillDeferred(relay.inspect(receipt.queueId()), out);
      } catch (ExecutionException e) {
        throw new RelaymailCommand.CliException(RelaymailCommand.EX_SOFTWARE, "delivery stopped: " + e.getCause(), e.getCause());
      }
      boolean failed = false;
      for (RecipientReport r : report.recipients()) {
        failed |= !r.delivered();
        out.println(r.recipient() + ": " + (r.delivered() ? "delivered" : "failed ("
            + r.failureClass().map(f -> f.description()).orElse("?") + ")")
            + r.remoteMta().map(m -> " by " + m).orElse("")
            + (r.attempts() > 1 ? " after " + r.attempts() + " attempts" : "")
            + ": " + r.reply().map(Object::toString).orElse(""));
      }
      out.flush();
      return failed ? RelaymailCommand.EX_UNAVAILABLE : 0;
    }
  }

  private int stillDeferred(Optional<QueuedMessage> m, PrintWriter out) {
    boolean failed = false;
    boolean deferred = false;
    if (m.isPresent()) {
      for (RecipientRecord r : m.get().recipients()) {
        String state = switch (r.state()) {
          case DELIVERED -> "delivered";
          case FAILED, EXPIRED -> "failed (" + r.failureClass().name().toLowerCase(java.util.Locale.ROOT) + ")";
          case PENDING, DEFERRED -> "still deferred after " + waitFor.toSeconds() + " s, " + r.attempts() + " attempts";
        };
        failed |= r.state() == org.relaymail.queue.RecipientState.FAILED || r.state() == org.relaymail.queue.RecipientState.EXPIRED;
        deferred |= !r.state().isFinal();
        out.println(r.mailbox() + ": " + state + r.remoteMta().map(x -> " by " + x).orElse("")
            + r.lastReply().map(x -> ": " + x).orElse(""));
      }
    }
    out.println("not delivered within --wait " + waitFor + "; nothing stays queued (use --spool to leave retries to a relay)");
    out.flush();
    return failed ? RelaymailCommand.EX_UNAVAILABLE : deferred ? RelaymailCommand.EX_TEMPFAIL : 0;
  }

  /**
   * Queues in the spool: through the admin channel of the relay running on it ({@link
   * RelayAdmin#submit}, the relay prepares and queues the message as its own {@code send} does), or,
   * when no relay holds the spool, directly with a relay here that only prepares and queues.
   */
  private int spool(OutgoingMessage message, PrintWriter out) throws Exception {
    Path socket = RelayAdmin.defaultSocket(mode.spool);
    ConnectException noRelay;
    try (RelayAdmin admin = RelayAdmin.connectSocket(socket, RelayAdmin.DEFAULT_TIMEOUT)) {
      return queued(message, submit(admin, message), out);
    } catch (ConnectException e) {
      noRelay = e; // no relay answers: queue directly if no process holds the spool
    } catch (RelayAdminException e) {
      int code = e.code().equals("forbidden") ? RelaymailCommand.EX_NOPERM : RelaymailCommand.EX_TEMPFAIL;
      throw new RelaymailCommand.CliException(code, "the relay on " + mode.spool + " refused the admin connection: "
          + e.getMessage(), e);
    }
    requireHelo();
    FileQueueStore fileStore;
    try {
      fileStore = FileQueueStore.open(mode.spool);
    } catch (SpoolLockedException e) {
      e.addSuppressed(noRelay);
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_TEMPFAIL, "the spool " + mode.spool
          + " is held by a running process, but no admin channel answers on " + socket + " (is the relay's admin"
          + " socket turned off or elsewhere?): submit through that process, or stop it and run this again", e);
    }
    // the relay here only prepares and queues: its store never hands out messages to deliver
    try (SubmitOnly store = new SubmitOnly(fileStore);
        RelayClient relay = relay(store).build()) {
      return queued(message, send(relay, message).queueId(), out);
    }
  }

  private QueueId submit(RelayAdmin admin, OutgoingMessage message) throws IOException {
    try {
      return admin.submit(message);
    } catch (InvalidMessageException e) {
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_DATAERR, "message refused by the relay on "
          + mode.spool + ": " + e.getMessage(), e);
    } catch (RelayAdminException e) {
      int code = switch (e.code()) {
        case "too-large" -> RelaymailCommand.EX_DATAERR;
        case "unknown-operation" -> RelaymailCommand.EX_UNAVAILABLE;
        default -> RelaymailCommand.EX_TEMPFAIL;
      };
      throw new RelaymailCommand.CliException(code, "the relay on " + mode.spool + " did not queue the message: "
          + e.getMessage(), e);
    }
  }

  private int queued(OutgoingMessage message, QueueId id, PrintWriter out) {
    for (Mailbox r : message.recipients().stream().map(x -> x.mailbox()).toList()) {
      out.println(r + ": queued as " + id + " in " + mode.spool);
    }
    out.flush();
    return 0;
  }

  private static SendReceipt send(RelayClient relay, OutgoingMessage message) throws IOException {
    try {
      return relay.send(message);
    } catch (InvalidMessageException e) {
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_DATAERR, "message refused: " + e.getMessage(), e);
    }
  }

  /** A store that accepts messages and never hands one out for delivery (a relay elsewhere does). */
  static final class SubmitOnly extends ForwardingQueueStore {
    SubmitOnly(QueueStore delegate) {
      super(delegate);
    }

    @Override
    public List<ClaimedMessage> claimDue(Instant now, int max, Duration leaseDuration) {
      return List.of();
    }

    @Override
    public Optional<Instant> nextDueTime(Instant now) {
      return Optional.empty();
    }
  }

}
