package org.relaymail.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.relaymail.client.Envelope.DsnNotify;
import org.relaymail.client.Envelope.DsnReturn;
import org.relaymail.client.RecipientResult.Status;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;

/** The public values: equality, immutability and every invariant their constructors promise. */
class ValuesTest {

  private static Route.Builder base() throws Exception {
    return Route.builder("mail.example.test", 587)
        .tlsMode(TlsMode.REQUIRED)
        .credentials(Credentials.password("u", "secret"))
        .localAddress(InetAddress.getByName("127.0.0.5"))
        .proxy(new Proxy(Proxy.Type.SOCKS, new InetSocketAddress("127.0.0.1", 1080)))
        .heloName("client.example.test");
  }

  @Test
  void routeEqualityCoversEveryComponent() throws Exception {
    Route a = base().build();
    Route b = base().build();
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertEquals(a, a.toBuilder().build(), "toBuilder keeps every value");
    // host is compared ignoring case (DNS names are case-insensitive)
    Route upper = Route.builder("MAIL.Example.TEST", 587).tlsMode(TlsMode.REQUIRED)
        .credentials(Credentials.password("u", "other secret"))
        .localAddress(InetAddress.getByName("127.0.0.5"))
        .proxy(new Proxy(Proxy.Type.SOCKS, new InetSocketAddress("127.0.0.1", 1080)))
        .heloName("client.example.test").build();
    assertEquals(a, upper, "same identity; the secret is not part of the key");
    assertEquals(a.hashCode(), upper.hashCode());

    List<Route> different = List.of(
        Route.builder("other.example.test", 587).build(),
        a.toBuilder().build().toBuilder().tlsMode(TlsMode.REQUIRED_VERIFIED).build(),
        a.toBuilder().credentials(Credentials.password("v", "secret")).build(),
        a.toBuilder().credentials(Credentials.xoauth2("u", () -> "t")).build(),
        a.toBuilder().credentials(null).build(),
        a.toBuilder().credentials(Credentials.password("u", "secret").withMechanisms("PLAIN"))
            .build(),
        a.toBuilder().localAddress(InetAddress.getByName("127.0.0.6")).build(),
        a.toBuilder().localAddress(null).build(),
        a.toBuilder().proxy(Proxy.NO_PROXY).build(),
        a.toBuilder().proxy(new Proxy(Proxy.Type.SOCKS, new InetSocketAddress("127.0.0.1", 1081)))
            .build(),
        a.toBuilder().heloName("other.example.test").build(),
        Route.builder("mail.example.test", 588).tlsMode(TlsMode.REQUIRED)
            .credentials(Credentials.password("u", "secret"))
            .localAddress(InetAddress.getByName("127.0.0.5"))
            .proxy(new Proxy(Proxy.Type.SOCKS, new InetSocketAddress("127.0.0.1", 1080)))
            .heloName("client.example.test").build());
    Set<Route> set = new HashSet<>(different);
    set.add(a);
    assertEquals(different.size() + 1, set.size(), "every component makes a different key");
    for (Route r : different) {
      assertNotEquals(a, r, r.toString());
    }
    assertFalse(a.equals(null));
    assertFalse(a.equals("mail.example.test:587"));
  }

  @Test
  void routeIsImmutableAndItsBuilderIsDetached() throws Exception {
    Route.Builder b = base();
    Route a = b.build();
    b.tlsMode(TlsMode.NONE).heloName("changed.example.test").credentials(null)
        .localAddress(null).proxy(Proxy.NO_PROXY);
    assertEquals(TlsMode.REQUIRED, a.tlsMode());
    assertEquals("client.example.test", a.heloName());
    assertTrue(a.credentials().isPresent());
    assertTrue(a.localAddress().isPresent());
    assertEquals(Proxy.Type.SOCKS, a.proxy().type());
    Route.Builder again = a.toBuilder();
    again.tlsMode(TlsMode.NONE);
    assertEquals(TlsMode.REQUIRED, a.tlsMode(), "toBuilder() does not share state");
    Route plain = Route.of("h.example.test", 25);
    assertEquals(TlsMode.OPPORTUNISTIC, plain.tlsMode());
    assertEquals(Proxy.NO_PROXY, plain.proxy());
    assertTrue(plain.credentials().isEmpty());
    assertTrue(plain.localAddress().isEmpty());
    assertFalse(plain.heloName().isEmpty());
    String s = a.toString();
    assertFalse(s.contains("secret"), s);
    assertTrue(s.contains("mail.example.test:587") && s.contains("127.0.0.5"), s);
  }

  @Test
  void routeBuilderRejectsBadValuesNamingThem() {
    for (String host : new String[] {"", "a b", "[127.0.0.1]", "x\r\ny", "tab\there"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Route.builder(host, 25), host);
      assertTrue(e.getMessage().contains("host"), e.getMessage());
    }
    assertThrows(NullPointerException.class, () -> Route.builder(null, 25));
    for (int port : new int[] {0, -1, 65536}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Route.builder("h", port));
      assertTrue(e.getMessage().contains(String.valueOf(port)), e.getMessage());
    }
    Route.Builder b = Route.builder("h", 25);
    assertThrows(IllegalArgumentException.class,
        () -> b.proxy(new Proxy(Proxy.Type.HTTP, new InetSocketAddress("127.0.0.1", 3128))));
    assertThrows(NullPointerException.class, () -> b.proxy(null));
    assertThrows(NullPointerException.class, () -> b.tlsMode(null));
    for (String helo : new String[] {"", "a b", "x\r\nMAIL FROM:<>", "héllo"}) {
      assertThrows(IllegalArgumentException.class, () -> b.heloName(helo), helo);
    }
    assertEquals(65535, Route.builder("h", 65535).build().port());
  }

  @Test
  void tlsModesSayWhatTheyDo() {
    assertFalse(TlsMode.NONE.isRequired());
    assertFalse(TlsMode.OPPORTUNISTIC.isRequired() || TlsMode.OPPORTUNISTIC.isVerified());
    assertTrue(TlsMode.REQUIRED.isRequired() && !TlsMode.REQUIRED.isVerified());
    assertTrue(TlsMode.REQUIRED_VERIFIED.isRequired() && TlsMode.REQUIRED_VERIFIED.isVerified());
    assertTrue(TlsMode.IMPLICIT.isImplicit() && TlsMode.IMPLICIT.isVerified());
    for (TlsMode m : TlsMode.values()) {
      assertEquals(m == TlsMode.IMPLICIT, m.isImplicit(), m.name());
    }
  }

  @Test
  void credentialsNeverShowTheSecretAndCheckTheirInput() {
    char[] pw = "hunter2".toCharArray();
    Credentials c = Credentials.password("alice", pw);
    pw[0] = 'X';
    assertEquals("hunter2", new String(c.password()), "the array was copied");
    char[] out = c.password();
    out[0] = 'Y';
    assertEquals("hunter2", new String(c.password()), "password() hands out a copy");
    assertFalse(c.toString().contains("hunter2"), c.toString());
    assertEquals(Set.of("PLAIN", "LOGIN", "CRAM-MD5"), c.mechanisms());
    assertThrows(IllegalStateException.class, c::token);
    assertThrows(UnsupportedOperationException.class, () -> c.mechanisms().add("XOAUTH2"));

    Credentials t = Credentials.xoauth2("bob@example.test", () -> "ya29.token");
    assertEquals("ya29.token", t.token());
    assertTrue(t.isToken());
    assertFalse(t.toString().contains("ya29"), t.toString());
    assertThrows(IllegalStateException.class, t::password);
    assertThrows(IllegalStateException.class,
        () -> Credentials.xoauth2("bob", () -> "").token());
    assertThrows(IllegalStateException.class,
        () -> Credentials.xoauth2("bob", () -> null).token());

    for (String user : new String[] {"", "a\0b"}) {
      assertThrows(IllegalArgumentException.class, () -> Credentials.password(user, "p"));
      assertThrows(IllegalArgumentException.class, () -> Credentials.xoauth2(user, () -> "t"));
    }
    assertThrows(NullPointerException.class, () -> Credentials.password("u", (String) null));
    assertThrows(NullPointerException.class, () -> Credentials.xoauth2("u", null));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> c.withMechanisms("XOAUTH2"));
    assertTrue(e.getMessage().contains("XOAUTH2"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> c.withMechanisms());
    assertEquals(Set.of("LOGIN"), c.withMechanisms("login").mechanisms());
    // identity equality: same user and kind and mechanisms, any secret
    assertEquals(c, Credentials.password("alice", "other"));
    assertNotEquals(c, Credentials.password("Alice", "hunter2"));
    assertNotEquals(c, Credentials.xoauth2("alice", () -> "hunter2"));
  }

  @Test
  void settingsAndTimeoutsRejectImpossibleValues() {
    ConnectionSettings d = ConnectionSettings.defaults();
    assertEquals(16, d.pipeliningWindow());
    assertEquals(100, d.maxRecipientsPerTransaction());
    assertFalse(d.allowAuthWithoutTls());
    assertTrue(d.tcpNoDelay());
    assertTrue(d.useChunking());
    assertEquals(SmtpTimeouts.RFC_5321, d.timeouts());
    for (int w : new int[] {0, -1, 65}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ConnectionSettings.builder().pipeliningWindow(w));
      assertTrue(e.getMessage().contains(String.valueOf(w)), e.getMessage());
    }
    for (int m : new int[] {0, 1001}) {
      assertThrows(IllegalArgumentException.class,
          () -> ConnectionSettings.builder().maxRecipientsPerTransaction(m));
    }
    assertThrows(NullPointerException.class, () -> ConnectionSettings.builder().listener(null));
    assertThrows(NullPointerException.class, () -> ConnectionSettings.builder().timeouts(null));
    ConnectionSettings.Builder b = ConnectionSettings.builder().pipeliningWindow(3);
    ConnectionSettings s = b.build();
    b.pipeliningWindow(5);
    assertEquals(3, s.pipeliningWindow(), "the builder is detached from what it built");
    assertEquals(3, s.toBuilder().build().pipeliningWindow());

    SmtpTimeouts rfc = SmtpTimeouts.RFC_5321;
    assertEquals(Duration.ofMinutes(5), rfc.greeting());
    assertEquals(Duration.ofMinutes(2), rfc.data());
    assertEquals(Duration.ofMinutes(3), rfc.dataBlock());
    assertEquals(Duration.ofMinutes(10), rfc.finalDot());
    for (Duration bad : new Duration[] {Duration.ZERO, Duration.ofSeconds(-1),
        Duration.ofDays(30)}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> rfc.withRcpt(bad));
      assertTrue(e.getMessage().contains("rcpt"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> SmtpTimeouts.all(bad));
    }
    assertThrows(NullPointerException.class, () -> rfc.withConnect(null));
    assertEquals(Duration.ofSeconds(7), rfc.withFinalDot(Duration.ofSeconds(7)).finalDot());
    assertEquals(rfc.mail(), rfc.withFinalDot(Duration.ofSeconds(7)).mail());
  }

  @Test
  void envelopeChecksAndCopies() {
    Mailbox a = Mailbox.parse("a@example.test");
    Mailbox b = Mailbox.parse("b@example.test");
    List<Mailbox> list = new ArrayList<>(List.of(b));
    Envelope e = Envelope.of(a, list);
    list.add(Mailbox.parse("c@example.test"));
    assertEquals(List.of(b), e.recipients(), "recipients were copied");
    assertThrows(UnsupportedOperationException.class, () -> e.recipients().add(a));
    assertThrows(IllegalArgumentException.class, () -> Envelope.of(a, List.of()));
    assertThrows(IllegalArgumentException.class, () -> Envelope.of(a, List.of(Mailbox.NULL)));
    assertThrows(IllegalArgumentException.class, () -> Envelope.of(a, List.of(b, b)));
    assertThrows(IllegalArgumentException.class,
        () -> Envelope.of(a, List.of(b, Mailbox.parse("b@Example.TEST"))), "same mailbox (domain case ignored)");
    assertThrows(NullPointerException.class, () -> Envelope.of(null, List.of(b)));
    assertTrue(Envelope.of("", "b@example.test").sender().isNull(), "bounce sender <>");
    assertThrows(IllegalArgumentException.class,
        () -> e.withDsn(null, null, EnumSet.of(DsnNotify.NEVER, DsnNotify.FAILURE)));
    for (String id : new String[] {"", "a b", "x".repeat(101), "\u00e9"}) {
      assertThrows(IllegalArgumentException.class, () -> e.withDsn(DsnReturn.HDRS, id, Set.of()));
    }
    Set<DsnNotify> notify = EnumSet.of(DsnNotify.SUCCESS);
    Envelope d = e.withDsn(DsnReturn.FULL, "id+1", notify);
    notify.add(DsnNotify.DELAY);
    assertEquals(Set.of(DsnNotify.SUCCESS), d.notifyOn(), "NOTIFY set was copied");
    assertEquals(Optional.of("id+1"), d.envelopeId());
    assertEquals(d.recipients(), d.withRecipients(List.of(b)).recipients());
    assertEquals(d.envelopeId(), d.withRecipients(List.of(b)).envelopeId());
    assertTrue(Envelope.of("a@example.test", "j\u00f6rg@example.test").needsSmtpUtf8());
    assertFalse(e.needsSmtpUtf8());
  }

  @Test
  void recipientAndTransactionResultsRejectImpossibleCombinations() {
    Mailbox b = Mailbox.parse("b@example.test");
    SmtpReply ok = SmtpReply.of(250, "2.0.0 Ok: queued as ABC123");
    SmtpReply temp = SmtpReply.of(451, "4.3.0 try later");
    SmtpReply perm = SmtpReply.of(550, "5.1.1 no such user");
    assertEquals(Status.ACCEPTED, RecipientResult.of(b, ok).status());
    assertEquals(Status.TRANSIENT, RecipientResult.of(b, temp).status());
    assertEquals(Status.PERMANENT, RecipientResult.of(b, perm).status());
    assertEquals("5.1.1", RecipientResult.of(b, perm).enhancedStatus().orElseThrow().toString());
    assertThrows(IllegalArgumentException.class, () -> new RecipientResult(b, Status.ACCEPTED, perm));
    assertThrows(IllegalArgumentException.class, () -> new RecipientResult(b, Status.TRANSIENT, ok));
    assertThrows(IllegalArgumentException.class,
        () -> new RecipientResult(b, Status.PERMANENT, temp));
    assertThrows(NullPointerException.class, () -> new RecipientResult(b, null, ok));

    Envelope env = Envelope.of("a@example.test", "b@example.test", "c@example.test");
    Mailbox c = Mailbox.parse("c@example.test");
    List<RecipientResult> rs =
        new ArrayList<>(List.of(RecipientResult.of(b, ok), RecipientResult.of(c, perm)));
    TransactionResult tr = new TransactionResult(env, rs, List.of(ok));
    rs.clear();
    assertEquals(2, tr.recipients().size(), "copied");
    assertEquals(Optional.of("ABC123"), tr.queueId());
    assertFalse(tr.allAccepted());
    assertEquals(1, tr.accepted().size());
    assertEquals(1, tr.permanentFailures().size());
    assertEquals(0, tr.transientFailures().size());
    assertThrows(IllegalArgumentException.class,
        () -> new TransactionResult(env, List.of(RecipientResult.of(b, ok)), List.of()));
    IllegalArgumentException swapped = assertThrows(IllegalArgumentException.class,
        () -> new TransactionResult(env,
            List.of(RecipientResult.of(c, ok), RecipientResult.of(b, ok)), List.of()));
    assertTrue(swapped.getMessage().contains("b@example.test"), swapped.getMessage());
    assertEquals(Optional.empty(),
        new TransactionResult(env, List.of(RecipientResult.of(b, temp),
            RecipientResult.of(c, temp)), List.of()).finalReply());
  }

  @Test
  void messageInfoRejectsImpossibleValues() throws Exception {
    assertThrows(IllegalArgumentException.class,
        () -> new MessageContent.Info(-1, false, false, true, 0));
    assertThrows(IllegalArgumentException.class,
        () -> new MessageContent.Info(10, false, false, true, -1));
    assertThrows(IllegalArgumentException.class,
        () -> new MessageContent.Info(5000, false, false, true, 999), "canonical needs <= 998");
    MessageContent.Info i = MessageContent.of("a\r\nbb\r\n".getBytes()).info();
    assertEquals(new MessageContent.Info(7, false, false, true, 2), i);
    assertFalse(MessageContent.of("a\nb".getBytes()).info().canonical());
  }

  @Test
  void exceptionsCarryHostPortAndClassification() {
    SmtpReplyException e = new SmtpReplyException("h.example.test", 25,
        SmtpReplyException.Stage.GREETING, SmtpReply.of(421, "4.3.2 busy"));
    assertEquals("h.example.test", e.host());
    assertEquals(25, e.port());
    assertTrue(e.isTransient());
    assertTrue(e.getMessage().contains("h.example.test:25"), e.getMessage());
    assertFalse(new SmtpReplyException("h", 25, SmtpReplyException.Stage.AUTH,
        SmtpReply.of(535, "5.7.8 bad")).isTransient());
    assertThrows(NullPointerException.class,
        () -> new SmtpReplyException("h", 25, null, SmtpReply.of(421, "x")));
  }
}
