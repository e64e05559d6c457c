package org.relaymail.testsupport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One connection of the {@link ScriptedSmtpServer}: the SMTP state machine. */
final class SessionHandler implements SmtpSession {
  private static final Logger LOG = LoggerFactory.getLogger(SessionHandler.class);
  private static final byte[] END_OF_DATA = {'.', '\r', '\n'};
  /** Commands that must end a pipelined group: RFC 2920 section 3.1, RFC 3207, RFC 4954. */
  private static final Set<Stage> GROUP_ENDERS = Set.of(Stage.EHLO, Stage.HELO, Stage.DATA,
      Stage.VRFY, Stage.EXPN, Stage.NOOP, Stage.QUIT, Stage.STARTTLS, Stage.AUTH, Stage.HELP);

  private final ScriptedSmtpServer server;
  private final ScriptedSmtpServer.Config cfg;
  private final int id;
  private volatile Socket socket;
  private final InetSocketAddress remote;
  private final Thread thread;
  private volatile boolean open = true;
  private SessionIo io;
  private final List<String> commandLog = Collections.synchronizedList(new ArrayList<>());
  private final Map<Stage, Integer> counts = new EnumMap<>(Stage.class);

  private boolean serviceRefused;
  private String heloName;
  private boolean esmtp;
  private boolean tls;
  private String authUser;
  private int accepted;
  // transaction
  private String sender;
  private Map<String, String> mailParams = Map.of();
  private final List<String> recipients = new ArrayList<>();
  private java.io.ByteArrayOutputStream chunks;

  SessionHandler(ScriptedSmtpServer server, int id, Socket socket) {
    this.server = server;
    this.cfg = server.config;
    this.id = id;
    this.socket = socket;
    this.remote = (InetSocketAddress) socket.getRemoteSocketAddress();
    this.thread = new Thread(this::run, "scripted-smtp-" + server.port() + "-session-" + id);
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  Thread thread() {
    return thread;
  }

  void interrupt() {
    thread.interrupt();
  }

  boolean isOpen() {
    return open;
  }

  void closeSocket() {
    try {
      socket.close();
    } catch (IOException e) {
      LOG.debug("session {}: closing socket", id, e);
    }
  }

  SessionRecord snapshot() {
    SessionIo current = io;
    byte[] rec = current == null ? new byte[0] : current.received();
    byte[] sent = current == null ? new byte[0] : current.sent();
    List<String> cmds;
    synchronized (commandLog) {
      cmds = List.copyOf(commandLog);
    }
    return new SessionRecord(id, remote, rec, sent, cmds, open);
  }

  // ---- SmtpSession

  @Override
  public int id() {
    return id;
  }

  @Override
  public InetSocketAddress remoteAddress() {
    return remote;
  }

  @Override
  public Optional<String> heloName() {
    return Optional.ofNullable(heloName);
  }

  @Override
  public boolean tls() {
    return tls;
  }

  @Override
  public Optional<String> authenticatedUser() {
    return Optional.ofNullable(authUser);
  }

  @Override
  public boolean inTransaction() {
    return sender != null;
  }

  @Override
  public Optional<String> sender() {
    return Optional.ofNullable(sender);
  }

  @Override
  public List<String> recipients() {
    return List.copyOf(recipients);
  }

  @Override
  public int count(Stage stage) {
    return counts.getOrDefault(stage, 0);
  }

  @Override
  public int messagesAccepted() {
    return accepted;
  }

  // ---- the session

  private void run() {
    try {
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, cfg.readTimeout.toMillis()));
      socket.setTcpNoDelay(true);
      if (cfg.implicitTls) {
        SSLSocket ssl = (SSLSocket) cfg.sslContext().getSocketFactory()
            .createSocket(socket, remote.getHostString(), remote.getPort(), true);
        ssl.setUseClientMode(false);
        socket = ssl;
        io = new SessionIo(ssl.getInputStream(), ssl.getOutputStream());
        ssl.startHandshake();
        tls = true;
      } else {
        io = new SessionIo(socket.getInputStream(), socket.getOutputStream());
      }
      converse();
    } catch (SocketTimeoutException e) {
      LOG.debug("session {}: read timeout", id);
    } catch (IOException e) {
      if (!server.isClosed() && !(e instanceof SocketException)) {
        LOG.debug("session {} ended by I/O error: {}", id, e.toString());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("session {}: rule or server failure", id, e);
    } finally {
      closeSocket();
      open = false;
      server.sessionEnded();
    }
  }

  private void converse() throws IOException, InterruptedException {
    bump(Stage.GREETING);
    Command greet = new Command(Stage.GREETING, "", "", "", null, Map.of(), null);
    Response g = firstOf(cfg.preRules, greet);
    if (g == null) {
      g = firstOf(cfg.rules, greet);
    }
    if (g == null) {
      g = cfg.greeting;
    }
    if (!perform(g)) {
      return;
    }
    if (g.code() != 0 && g.code() != 220) {
      serviceRefused = true;
    }
    while (true) {
      byte[] raw;
      try {
        raw = io.readLine(cfg.maxLineLength);
      } catch (SessionIo.LineTooLongException e) {
        commandLog.add("<line longer than " + cfg.maxLineLength + " octets>");
        if (!perform(reply(500, "5.5.2 Error: line too long"))) {
          return;
        }
        continue;
      }
      if (raw == null) {
        return;
      }
      String text = stripEol(new String(raw, StandardCharsets.UTF_8));
      Command cmd = Command.parse(text);
      commandLog.add(cmd.toString());
      if (!handle(cmd)) {
        return;
      }
    }
  }

  private static String stripEol(String s) {
    if (s.endsWith("\r\n")) {
      return s.substring(0, s.length() - 2);
    }
    if (s.endsWith("\n")) {
      return s.substring(0, s.length() - 1);
    }
    return s;
  }

  private void bump(Stage stage) {
    counts.merge(stage, 1, Integer::sum);
  }

  /** Handles one command; false ends the session. */
  private boolean handle(Command cmd) throws IOException, InterruptedException {
    if (cmd.stage() == Stage.BDAT) {
      return handleBdat(cmd);
    }
    bump(cmd.stage());
    boolean pipelined = io.hasBuffered();
    Response r = decide(cmd, pipelined);
    int code = r.code();
    if (cmd.stage() == Stage.STARTTLS && code == 220) {
      return startTls(r);
    }
    if (cmd.stage() == Stage.AUTH && r == AUTH_GO) {
      return authenticate(cmd);
    }
    if (!perform(r)) {
      return false;
    }
    boolean ok = code >= 200 && code < 400;
    switch (cmd.stage()) {
      case EHLO, HELO -> {
        if (ok) {
          heloName = cmd.argument().trim();
          esmtp = cmd.stage() == Stage.EHLO;
          resetTransaction();
        }
      }
      case MAIL -> {
        if (ok) {
          sender = cmd.path() == null ? "" : cmd.path();
          mailParams = cmd.parameters();
          recipients.clear();
          chunks = null;
        }
      }
      case RCPT -> {
        if (ok && cmd.path() != null) {
          recipients.add(cmd.path());
        }
      }
      case DATA -> {
        if (code == 354) {
          return receiveData(cmd);
        }
      }
      case RSET -> {
        if (ok) {
          resetTransaction();
        }
      }
      case QUIT -> {
        return false;
      }
      default -> { }
    }
    return true;
  }

  private void resetTransaction() {
    sender = null;
    mailParams = Map.of();
    recipients.clear();
    chunks = null;
  }

  private Response decide(Command cmd, boolean pipelined) {
    Response r = firstOf(cfg.preRules, cmd);
    if (r != null) {
      return r;
    }
    r = check(cmd, pipelined);
    if (r != null) {
      return r;
    }
    r = firstOf(cfg.rules, cmd);
    if (r != null) {
      return r;
    }
    return defaultReply(cmd);
  }

  private Response firstOf(List<Rule> rules, Command cmd) {
    for (Rule rule : rules) {
      Response r = rule.apply(this, cmd);
      if (r != null) {
        return r;
      }
    }
    return null;
  }

  /** A reply with the enhanced code removed when ENHANCEDSTATUSCODES is not advertised. */
  private Response reply(int code, String text) {
    if (!cfg.enhancedStatusCodes && text.matches("^[245]\\.\\d{1,3}\\.\\d{1,3} .*")) {
      text = text.substring(text.indexOf(' ') + 1);
    }
    return Response.reply(code, text);
  }

  private Response syncError() {
    return reply(554, "5.5.0 Error: SMTP protocol synchronization").thenDisconnect();
  }

  /** Sequence, syntax and strict checks; null when the command is acceptable. */
  private Response check(Command cmd, boolean pipelined) {
    Stage st = cmd.stage();
    if (cfg.strict && pipelined && (!cfg.pipelining || GROUP_ENDERS.contains(st))) {
      LOG.debug("session {}: improper command pipelining after {}", id, cmd.verb());
      return syncError();
    }
    if (serviceRefused && st != Stage.QUIT) {
      return reply(503, "5.5.0 Error: no SMTP service here");
    }
    switch (st) {
      case EHLO, HELO -> {
        if (st == Stage.EHLO && !cfg.ehlo) {
          return reply(502, "5.5.2 Error: command not recognized");
        }
        if (cmd.argument().isBlank()) {
          return reply(501, "5.5.4 Syntax: " + st.name() + " hostname");
        }
      }
      case MAIL -> {
        return checkMail(cmd);
      }
      case RCPT -> {
        return checkRcpt(cmd);
      }
      case DATA -> {
        if (sender == null) {
          return reply(503, "5.5.1 Error: need RCPT command");
        }
        if (!cmd.argument().isEmpty()) {
          return reply(501, "5.5.4 Syntax: DATA");
        }
        if (chunks != null || "BINARYMIME".equalsIgnoreCase(mailParams.get("BODY"))) {
          return reply(503, "5.5.1 Error: DATA after BDAT or with BODY=BINARYMIME");
        }
        if (recipients.isEmpty()) {
          return reply(554, "5.5.1 Error: no valid recipients");
        }
      }
      case STARTTLS -> {
        if (!cfg.startTls || tls) {
          return reply(502, "5.5.1 Error: command not implemented");
        }
        if (!cmd.argument().isEmpty()) {
          return reply(501, "5.5.4 Syntax: STARTTLS");
        }
      }
      case AUTH -> {
        return checkAuth(cmd);
      }
      case UNKNOWN -> {
        return reply(502, "5.5.2 Error: command not recognized");
      }
      default -> { }
    }
    return null;
  }

  private Response checkMail(Command cmd) {
    if (heloName == null) {
      return reply(503, "5.5.1 Error: send HELO/EHLO first");
    }
    if (cfg.requireTls && !tls) {
      return reply(530, "5.7.0 Must issue a STARTTLS command first");
    }
    if (cfg.requireAuth && authUser == null) {
      return reply(530, "5.7.0 Authentication required");
    }
    if (sender != null) {
      return reply(503, "5.5.1 Error: nested MAIL command");
    }
    if (cmd.path() == null) {
      return reply(501, "5.5.4 Syntax: MAIL FROM:<address>");
    }
    for (Map.Entry<String, String> p : cmd.parameters().entrySet()) {
      String k = p.getKey();
      String v = p.getValue() == null ? "" : p.getValue().toUpperCase(Locale.ROOT);
      boolean known;
      if (!esmtp) {
        known = false;
      } else {
        known = switch (k) {
          case "SIZE" -> cfg.maxSize >= 0 && v.matches("\\d{1,18}");
          case "BODY" -> v.equals("7BIT") && (cfg.eightBitMime || cfg.binaryMime)
              || v.equals("8BITMIME") && cfg.eightBitMime
              || v.equals("BINARYMIME") && cfg.binaryMime;
          case "SMTPUTF8" -> cfg.smtpUtf8 && p.getValue() == null;
          case "RET" -> cfg.dsn && (v.equals("FULL") || v.equals("HDRS"));
          case "ENVID" -> cfg.dsn && p.getValue() != null;
          case "AUTH" -> !cfg.authMechanisms.isEmpty() && p.getValue() != null;
          default -> false;
        };
      }
      if (!known && (cfg.strict || !esmtp)) {
        return reply(555, "5.5.4 Unsupported option: " + k
            + (p.getValue() == null ? "" : "=" + p.getValue()));
      }
    }
    String size = cmd.parameters().get("SIZE");
    if (cfg.maxSize > 0 && size != null && size.matches("\\d{1,18}")
        && Long.parseLong(size) > cfg.maxSize) {
      return reply(552, "5.3.4 Message size exceeds fixed limit");
    }
    if (cfg.strict && !isAscii(cmd.path()) && !cmd.parameters().containsKey("SMTPUTF8")) {
      return reply(553, "5.6.7 Must declare SMTPUTF8 to send unicode address");
    }
    if (!cmd.path().isEmpty() && !cmd.path().contains("@")) {
      return reply(501, "5.1.7 Bad sender address syntax");
    }
    return null;
  }

  private Response checkRcpt(Command cmd) {
    if (sender == null) {
      return reply(503, "5.5.1 Error: need MAIL command");
    }
    if (cmd.path() == null || cmd.path().isEmpty()) {
      return reply(501, "5.5.4 Syntax: RCPT TO:<address>");
    }
    for (Map.Entry<String, String> p : cmd.parameters().entrySet()) {
      boolean known = esmtp && cfg.dsn && p.getValue() != null
          && (p.getKey().equals("NOTIFY") || p.getKey().equals("ORCPT"));
      if (!known && (cfg.strict || !esmtp)) {
        return reply(555, "5.5.4 Unsupported option: " + p.getKey());
      }
    }
    if (cfg.strict && !isAscii(cmd.path()) && !mailParams.containsKey("SMTPUTF8")) {
      return reply(553, "5.6.7 Must declare SMTPUTF8 to send unicode address");
    }
    if (!cmd.path().contains("@") && !cmd.path().equalsIgnoreCase("postmaster")) {
      return reply(501, "5.1.3 Bad recipient address syntax");
    }
    return null;
  }

  private Response checkAuth(Command cmd) {
    if (cfg.authMechanisms.isEmpty() || (cfg.authRequiresTls && !tls && cfg.strict)) {
      if (!cfg.authMechanisms.isEmpty()) {
        return reply(538, "5.7.11 Encryption required for requested authentication mechanism");
      }
      return reply(502, "5.5.1 Error: authentication not enabled");
    }
    if (!esmtp) {
      return reply(503, "5.5.1 Error: send EHLO first");
    }
    if (authUser != null) {
      return reply(503, "5.5.1 Error: already authenticated");
    }
    if (sender != null) {
      return reply(503, "5.5.1 Error: MAIL transaction in progress");
    }
    String[] parts = cmd.argument().trim().split(" +");
    if (parts.length == 0 || parts[0].isEmpty() || parts.length > 2) {
      return reply(501, "5.5.4 Syntax: AUTH mechanism");
    }
    if (!cfg.authMechanisms.contains(parts[0].toUpperCase(Locale.ROOT))) {
      return reply(504, "5.5.4 Unsupported authentication mechanism: " + parts[0]);
    }
    return null;
  }

  private static boolean isAscii(String s) {
    return s.chars().allMatch(c -> c < 0x80);
  }

  /** Marker: AUTH passed the checks and the rules; run the exchange. */
  private static final Response AUTH_GO = Response.reply(334, "<auth>");

  private Response defaultReply(Command cmd) {
    return switch (cmd.stage()) {
      case EHLO -> ehloReply();
      case HELO -> Response.reply(250, cfg.hostname);
      case MAIL -> reply(250, "2.1.0 Ok");
      case RCPT -> reply(250, "2.1.5 Ok");
      case DATA -> Response.reply(354, "End data with <CR><LF>.<CR><LF>");
      case MESSAGE -> reply(250, "2.0.0 Ok: queued as " + server.nextQueueId());
      case BDAT -> reply(250, "2.0.0 Ok: " + cmd.content().map(c -> c.length).orElse(0)
          + " octets");
      case RSET, NOOP -> reply(250, "2.0.0 Ok");
      case QUIT -> reply(221, "2.0.0 Bye");
      case VRFY -> reply(252, "2.0.0 " + cmd.argument());
      case EXPN -> reply(502, "5.5.1 Error: EXPN disabled");
      case HELP -> reply(214, "2.0.0 See RFC 5321");
      case STARTTLS -> reply(220, "2.0.0 Ready to start TLS");
      case AUTH -> AUTH_GO;
      default -> reply(502, "5.5.2 Error: command not recognized");
    };
  }

  private Response ehloReply() {
    List<String> lines = new ArrayList<>();
    lines.add(cfg.hostname);
    if (cfg.pipelining) {
      lines.add("PIPELINING");
    }
    if (cfg.maxSize >= 0) {
      lines.add(cfg.maxSize == 0 ? "SIZE" : "SIZE " + cfg.maxSize);
    }
    if (cfg.startTls && !tls) {
      lines.add("STARTTLS");
    }
    if (!cfg.authMechanisms.isEmpty() && (tls || !cfg.authRequiresTls)) {
      lines.add("AUTH " + String.join(" ", cfg.authMechanisms));
    }
    if (cfg.enhancedStatusCodes) {
      lines.add("ENHANCEDSTATUSCODES");
    }
    if (cfg.eightBitMime) {
      lines.add("8BITMIME");
    }
    if (cfg.binaryMime) {
      lines.add("BINARYMIME");
    }
    if (cfg.dsn) {
      lines.add("DSN");
    }
    if (cfg.smtpUtf8) {
      lines.add("SMTPUTF8");
    }
    if (cfg.chunking) {
      lines.add("CHUNKING");
    }
    lines.addAll(cfg.extraCapabilities);
    return Response.reply(250, lines.toArray(new String[0]));
  }

  /** Sends a response; false when the connection is (to be) closed. */
  private boolean perform(Response r) throws IOException, InterruptedException {
    for (Response.Step s : r.steps()) {
      switch (s.kind()) {
        case REPLY -> {
          io.write(Response.encode(s.code(), s.lines()));
          if (s.code() == 421) {
            return false; // RFC 5321 section 3.8: the server closes after 421
          }
        }
        case RAW -> io.write(s.raw());
        case DELAY -> Thread.sleep(s.delay().toMillis(), s.delay().toNanosPart() % 1_000_000);
        case DISCONNECT -> {
          return false;
        }
        case SILENCE -> { }
        default -> throw new IllegalStateException("unknown step " + s.kind());
      }
    }
    return true;
  }

  // ---- DATA

  private boolean receiveData(Command dataCmd) throws IOException, InterruptedException {
    java.io.ByteArrayOutputStream content = new java.io.ByteArrayOutputStream();
    // Lines end with CRLF only (RFC 5321 section 2.3.8): a bare LF neither ends a line nor the
    // data, so ".\n" or "\n.\n" cannot end a message here (no SMTP smuggling).
    boolean lineStart = true;
    while (true) {
      byte[] piece = io.readLine(0);
      if (piece == null) {
        return false; // connection lost inside DATA: no message
      }
      if (lineStart && java.util.Arrays.equals(piece, END_OF_DATA)) {
        break;
      }
      int off = lineStart && piece.length > 0 && piece[0] == '.' ? 1 : 0; // section 4.5.2
      content.write(piece, off, piece.length - off);
      int n = piece.length;
      lineStart = n >= 2 && piece[n - 1] == '\n' && piece[n - 2] == '\r';
    }
    return endOfMessage(dataCmd, content.toByteArray(), false);
  }

  private boolean endOfMessage(Command cmd, byte[] content, boolean chunked)
      throws IOException, InterruptedException {
    bump(Stage.MESSAGE);
    Command end = cmd.withContent(Stage.MESSAGE, content);
    boolean pipelined = io.hasBuffered();
    Response r = firstOf(cfg.preRules, end);
    if (r == null && cfg.strict && pipelined && !cfg.pipelining) {
      r = syncError();
    }
    if (r == null && cfg.maxSize > 0 && content.length > cfg.maxSize) {
      r = reply(552, "5.3.4 Error: message file too big");
    }
    if (r == null && cfg.strict && !chunked && has8bit(content)
        && !mailParams.containsKey("SMTPUTF8")
        && !"8BITMIME".equalsIgnoreCase(mailParams.get("BODY"))) {
      r = reply(554, "5.6.1 Error: 8-bit content without BODY=8BITMIME");
    }
    if (r == null) {
      r = firstOf(cfg.rules, end);
    }
    if (r == null) {
      r = defaultReply(end);
    }
    String from = sender;
    Map<String, String> params = mailParams;
    List<String> rcpts = List.copyOf(recipients);
    resetTransaction();
    int code = r.code();
    if (code >= 200 && code < 300) {
      // Recorded before the reply goes out, as an MTA commits before it says 250: a client that
      // has seen the 250 must find the message in messages().
      accepted++;
      String qid = queueIdOf(r);
      server.messageAccepted(new ReceivedMessage(id, heloName == null ? "" : heloName, from,
          params, rcpts, content, chunked, tls, authUser, qid));
    }
    return perform(r);
  }

  private static String queueIdOf(Response r) {
    for (Response.Step s : r.steps()) {
      if (s.kind() == Response.Kind.REPLY) {
        String text = String.join(" ", s.lines());
        int i = text.indexOf("queued as ");
        if (i >= 0) {
          return text.substring(i + 10).split(" ")[0];
        }
      }
    }
    return "";
  }

  private static boolean has8bit(byte[] b) {
    for (byte x : b) {
      if (x < 0) {
        return true;
      }
    }
    return false;
  }

  // ---- BDAT (RFC 3030)

  private boolean handleBdat(Command cmd) throws IOException, InterruptedException {
    String[] parts = cmd.argument().trim().split(" +");
    long size = -1;
    boolean last = false;
    if (parts.length >= 1 && parts.length <= 2 && parts[0].matches("\\d{1,18}")) {
      size = Long.parseLong(parts[0]);
      if (parts.length == 2) {
        if (parts[1].equalsIgnoreCase("LAST")) {
          last = true;
        } else {
          size = -1;
        }
      }
    }
    if (size < 0) {
      bump(Stage.BDAT);
      return perform(reply(501, "5.5.4 Syntax: BDAT count [LAST]"));
    }
    byte[] chunk = io.readExact(size);
    if (chunk.length < size) {
      return false; // connection lost inside the chunk
    }
    if (last) {
      Response err = bdatCheck(cmd);
      if (err != null) {
        bump(Stage.MESSAGE);
        Response pre = firstOf(cfg.preRules, cmd.withContent(Stage.MESSAGE, chunk));
        resetTransaction();
        return perform(pre != null ? pre : err);
      }
      chunks.write(chunk, 0, chunk.length);
      return endOfMessage(cmd, chunks.toByteArray(), true);
    }
    bump(Stage.BDAT);
    Command c = cmd.withContent(Stage.BDAT, chunk);
    Response r = firstOf(cfg.preRules, c);
    if (r == null) {
      r = bdatCheck(cmd);
      if (r != null) {
        resetTransaction();
      }
    }
    if (r == null && cfg.strict && !cfg.pipelining && io.hasBuffered()) {
      r = syncError();
    }
    if (r == null) {
      r = firstOf(cfg.rules, c);
    }
    if (r == null) {
      r = defaultReply(c);
    }
    int code = r.code();
    if (code >= 200 && code < 300 && chunks != null) {
      chunks.write(chunk, 0, chunk.length);
    } else if (code >= 400) {
      resetTransaction(); // RFC 3030 section 2: a failed chunk fails the transaction
    }
    return perform(r);
  }

  private Response bdatCheck(Command cmd) {
    if (cfg.strict && !cfg.chunking) {
      return reply(502, "5.5.1 Error: BDAT not offered");
    }
    if (serviceRefused) {
      return reply(503, "5.5.0 Error: no SMTP service here");
    }
    if (sender == null) {
      return reply(503, "5.5.1 Error: need MAIL command");
    }
    if (recipients.isEmpty()) {
      return reply(554, "5.5.1 Error: no valid recipients");
    }
    if (chunks == null) {
      chunks = new java.io.ByteArrayOutputStream();
    }
    return null;
  }

  // ---- STARTTLS (RFC 3207)

  private boolean startTls(Response ready) throws IOException, InterruptedException {
    if (!perform(ready)) {
      return false;
    }
    int leftover = io.discardBuffered();
    if (leftover > 0) {
      LOG.debug("session {}: discarded {} plaintext bytes pipelined after STARTTLS", id, leftover);
    }
    SSLSocket ssl = (SSLSocket) cfg.sslContext().getSocketFactory()
        .createSocket(socket, remote.getHostString(), remote.getPort(), true);
    ssl.setUseClientMode(false);
    socket = ssl;
    io.replaceStreams(ssl.getInputStream(), ssl.getOutputStream());
    ssl.startHandshake();
    tls = true;
    heloName = null; // RFC 3207 section 4.2: forget what the client said
    esmtp = false;
    authUser = null;
    resetTransaction();
    return true;
  }

  // ---- AUTH (RFC 4954)

  private String readAuthLine() throws IOException {
    byte[] raw = io.readLine(12288);
    if (raw == null) {
      return null;
    }
    commandLog.add("<auth data>");
    return stripEol(new String(raw, StandardCharsets.US_ASCII));
  }

  private boolean authenticate(Command cmd) throws IOException, InterruptedException {
    String[] parts = cmd.argument().trim().split(" +");
    String mech = parts[0].toUpperCase(Locale.ROOT);
    String initial = parts.length > 1 ? parts[1] : null;
    Base64.Decoder dec = Base64.getDecoder();
    Base64.Encoder enc = Base64.getEncoder();
    try {
      switch (mech) {
        case "PLAIN" -> {
          String resp = initial;
          if (resp == null) {
            io.write(Response.encode(334, List.of("")));
            resp = readAuthLine();
          }
          if (resp == null) {
            return false;
          }
          if (resp.equals("*")) {
            return perform(reply(501, "5.7.0 Authentication aborted"));
          }
          String[] f = new String(dec.decode(resp.equals("=") ? "" : resp),
              StandardCharsets.UTF_8).split("\u0000", -1);
          if (f.length != 3) {
            return perform(reply(501, "5.5.2 Error: malformed PLAIN response"));
          }
          return finishAuth(f[1], cfg.passwords.get(f[1]) != null
              && cfg.passwords.get(f[1]).equals(f[2]));
        }
        case "LOGIN" -> {
          String user = initial;
          if (user == null) {
            io.write(Response.encode(334, List.of(enc.encodeToString(
                "Username:".getBytes(StandardCharsets.US_ASCII)))));
            user = readAuthLine();
          }
          if (user == null) {
            return false;
          }
          if (user.equals("*")) {
            return perform(reply(501, "5.7.0 Authentication aborted"));
          }
          io.write(Response.encode(334, List.of(enc.encodeToString(
              "Password:".getBytes(StandardCharsets.US_ASCII)))));
          String pass = readAuthLine();
          if (pass == null) {
            return false;
          }
          if (pass.equals("*")) {
            return perform(reply(501, "5.7.0 Authentication aborted"));
          }
          String u = new String(dec.decode(user), StandardCharsets.UTF_8);
          String p = new String(dec.decode(pass), StandardCharsets.UTF_8);
          return finishAuth(u, p.equals(cfg.passwords.get(u)));
        }
        case "CRAM-MD5" -> {
          if (initial != null) {
            return perform(reply(501, "5.7.0 CRAM-MD5 takes no initial response"));
          }
          String challenge = "<" + System.nanoTime() + "." + id + "@" + cfg.hostname + ">";
          io.write(Response.encode(334, List.of(enc.encodeToString(
              challenge.getBytes(StandardCharsets.US_ASCII)))));
          String resp = readAuthLine();
          if (resp == null) {
            return false;
          }
          if (resp.equals("*")) {
            return perform(reply(501, "5.7.0 Authentication aborted"));
          }
          String decoded = new String(dec.decode(resp), StandardCharsets.UTF_8);
          int sp = decoded.lastIndexOf(' ');
          if (sp < 0) {
            return perform(reply(501, "5.5.2 Error: malformed CRAM-MD5 response"));
          }
          String user = decoded.substring(0, sp);
          String digest = decoded.substring(sp + 1);
          String pw = cfg.passwords.get(user);
          boolean ok = pw != null && MessageDigest.isEqual(
              hmacMd5(pw, challenge).getBytes(StandardCharsets.US_ASCII),
              digest.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
          return finishAuth(user, ok);
        }
        case "XOAUTH2" -> {
          String resp = initial;
          if (resp == null) {
            io.write(Response.encode(334, List.of("")));
            resp = readAuthLine();
          }
          if (resp == null) {
            return false;
          }
          String decoded = new String(dec.decode(resp), StandardCharsets.UTF_8);
          Map<String, String> kv = new LinkedHashMap<>();
          for (String f : decoded.split("\u0001")) {
            int eq = f.indexOf('=');
            if (eq > 0) {
              kv.put(f.substring(0, eq), f.substring(eq + 1));
            }
          }
          String user = kv.get("user");
          String auth = kv.getOrDefault("auth", "");
          boolean ok = user != null && auth.startsWith("Bearer ")
              && auth.substring(7).equals(cfg.oauthTokens.get(user));
          if (!ok) {
            // The error challenge; the client answers with an empty line (Google's XOAUTH2 spec).
            io.write(Response.encode(334, List.of(enc.encodeToString(
                "{\"status\":\"401\",\"schemes\":\"bearer\",\"scope\":\"mail\"}"
                    .getBytes(StandardCharsets.US_ASCII)))));
            if (readAuthLine() == null) {
              return false;
            }
          }
          return finishAuth(user, ok);
        }
        default -> {
          return perform(reply(504, "5.5.4 Unsupported authentication mechanism"));
        }
      }
    } catch (IllegalArgumentException e) {
      return perform(reply(501, "5.5.2 Error: invalid base64 in AUTH exchange"));
    }
  }

  private boolean finishAuth(String user, boolean ok) throws IOException, InterruptedException {
    if (ok) {
      authUser = user;
      return perform(reply(235, "2.7.0 Authentication successful"));
    }
    return perform(reply(535, "5.7.8 Error: authentication failed"));
  }

  private static String hmacMd5(String key, String challenge) {
    try {
      Mac mac = Mac.getInstance("HmacMD5");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacMD5"));
      return HexFormat.of().formatHex(mac.doFinal(challenge.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacMD5 unavailable", e);
    }
  }
}
