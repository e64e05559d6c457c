package org.relaymail.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SmtpCommandTest {

  private static final List<String> INJECTIONS =
      List.of("a\r\nRCPT TO:<evil@x>", "a\rb", "a\nb", "a\0b", "\r\n", "x\n.\n");

  private static void assertWire(String expected, SmtpCommand cmd) {
    assertArrayEquals((expected + "\r\n").getBytes(StandardCharsets.UTF_8), cmd.encode(), expected);
    assertEquals(expected, cmd.toLine());
    assertEquals(cmd, SmtpCommand.parse(expected), "parse(" + expected + ")");
  }

  @Test
  void exactBytesOfEveryCommand() {
    assertWire("EHLO client.example.com", SmtpCommand.ehlo("client.example.com"));
    assertWire("EHLO [192.0.2.1]", SmtpCommand.ehlo("[192.0.2.1]"));
    assertWire("EHLO [IPv6:2001:db8::1]", SmtpCommand.ehlo("[IPv6:2001:db8::1]"));
    assertWire("EHLO xn--bcher-kva.example", SmtpCommand.ehlo("bücher.example"));
    assertWire("HELO client.example.com", SmtpCommand.helo("Client.Example.com"));
    assertWire("MAIL FROM:<a@b.example>", SmtpCommand.mail(Mailbox.parse("a@b.example"), MailParameters.NONE));
    assertWire("MAIL FROM:<>", SmtpCommand.mail(Mailbox.NULL, MailParameters.NONE));
    assertWire("MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ+2B+3Dx"
            + " AUTH=e+2Bf@g.example REQUIRETLS",
        SmtpCommand.mail(Mailbox.parse("a@b.example"), MailParameters.builder()
            .size(1000).body(BodyType.EIGHT_BIT_MIME).smtpUtf8(true).ret(DsnReturn.HDRS)
            .envelopeId("QQ+=x").auth("e+f@g.example").requireTls(true).build()));
    assertWire("MAIL FROM:<a@b.example> BODY=7BIT", SmtpCommand.mail(Mailbox.parse("a@b.example"),
        MailParameters.builder().body(BodyType.SEVEN_BIT).build()));
    assertWire("MAIL FROM:<a@b.example> BODY=BINARYMIME RET=FULL AUTH=<>",
        SmtpCommand.mail(Mailbox.parse("a@b.example"),
            MailParameters.builder().body(BodyType.BINARY_MIME).ret(DsnReturn.FULL).auth("<>").build()));
    assertWire("MAIL FROM:<jösé@xn--bcher-kva.example> SMTPUTF8",
        SmtpCommand.mail(Mailbox.parse("jösé@bücher.example"),
            MailParameters.builder().smtpUtf8(true).build()));
    assertWire("RCPT TO:<x@y.example>", SmtpCommand.rcpt(Mailbox.parse("x@y.example"), RcptParameters.NONE));
    assertWire("RCPT TO:<x@y.example> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;x+2By@y.example",
        SmtpCommand.rcpt(Mailbox.parse("x@y.example"), RcptParameters.builder()
            .notifyOn(DsnNotify.DELAY, DsnNotify.SUCCESS, DsnNotify.FAILURE)
            .originalRecipient("rfc822", "x+y@y.example").build()));
    assertWire("RCPT TO:<x@y.example> NOTIFY=NEVER",
        SmtpCommand.rcpt(Mailbox.parse("x@y.example"), RcptParameters.builder().notifyOn(DsnNotify.NEVER).build()));
    assertWire("RCPT TO:<\"a b\"@y.example>",
        SmtpCommand.rcpt(Mailbox.parse("\"a b\"@y.example"), RcptParameters.NONE));
    assertWire("DATA", SmtpCommand.data());
    assertWire("BDAT 0 LAST", SmtpCommand.bdat(0, true));
    assertWire("BDAT 123456789012", SmtpCommand.bdat(123456789012L, false));
    assertWire("RSET", SmtpCommand.rset());
    assertWire("NOOP", SmtpCommand.noop());
    assertWire("QUIT", SmtpCommand.quit());
    assertWire("VRFY Smith", SmtpCommand.vrfy("Smith"));
    assertWire("VRFY John Smith <js@x>", SmtpCommand.vrfy("John Smith <js@x>"));
    assertWire("EXPN list-name", SmtpCommand.expn("list-name"));
    assertWire("HELP", SmtpCommand.help());
    assertWire("HELP MAIL", SmtpCommand.help("MAIL"));
    assertWire("VERB", SmtpCommand.verbose());
    assertWire("STARTTLS", SmtpCommand.starttls());
    assertWire("AUTH LOGIN", SmtpCommand.auth("login"));
    assertWire("AUTH PLAIN AHVzZXIAcGFzcw==", SmtpCommand.auth("PLAIN", "AHVzZXIAcGFzcw=="));
    assertWire("AUTH EXTERNAL =", SmtpCommand.auth("EXTERNAL", ""));
    assertWire("AUTH X-OAUTH_2", SmtpCommand.auth("x-oauth_2"));
  }

  @Test
  void accessors() {
    SmtpCommand mail = SmtpCommand.parse("mail from:<a@b.example> size=42");
    assertEquals("MAIL", mail.verb());
    assertEquals(Optional.of(Mailbox.parse("a@b.example")), mail.mailbox());
    assertEquals(OptionalLong.of(42), mail.mailParameters().orElseThrow().size());
    assertTrue(mail.rcptParameters().isEmpty());
    assertTrue(mail.chunkSize().isEmpty());
    SmtpCommand bdat = SmtpCommand.parse("bdat 7 last");
    assertEquals(OptionalLong.of(7), bdat.chunkSize());
    assertTrue(bdat.isLastChunk());
    SmtpCommand auth = SmtpCommand.parse("Auth plain dGVzdA==");
    assertEquals("PLAIN", auth.argument());
    assertEquals(Optional.of("dGVzdA=="), auth.initialResponse());
    assertEquals(Optional.of(""), SmtpCommand.parse("AUTH PLAIN =").initialResponse());
    assertTrue(SmtpCommand.auth("PLAIN").initialResponse().isEmpty());
    assertEquals("client.example", SmtpCommand.parse("ehlo Client.Example").argument());
    assertEquals("", SmtpCommand.data().argument());
    assertTrue(SmtpCommand.data().mailbox().isEmpty());
  }

  @Test
  void toStringRedactsAuthResponse() {
    SmtpCommand c = SmtpCommand.auth("PLAIN", "AHVzZXIAcGFzcw==");
    assertEquals("AUTH PLAIN ***", c.toString());
    assertFalse(c.toString().contains("AHVz"));
    assertEquals("AUTH LOGIN", SmtpCommand.auth("LOGIN").toString());
    assertEquals("MAIL FROM:<> SIZE=1", SmtpCommand.mail(Mailbox.NULL, MailParameters.builder().size(1).build()).toString());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SmtpCommand.auth("PLAIN", "secret!pass"));
    assertFalse(e.getMessage().contains("secret"), e.getMessage());
    SmtpSyntaxException pe = assertThrows(SmtpSyntaxException.class,
        () -> SmtpCommand.parse("AUTH PLAIN secret!pass"));
    assertFalse(pe.getMessage().contains("secret"), pe.getMessage());
  }

  // ------------------------------------------------------------ one injection test per factory

  private static void assertRejectsInjection(Function<String, ?> factory) {
    for (String bad : INJECTIONS) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> factory.apply(bad), bad);
      assertFalse(e.getMessage().contains("\r") || e.getMessage().contains("\n"), e.getMessage());
    }
  }

  @Test
  void ehloRejectsCrLfNul() {
    assertRejectsInjection(SmtpCommand::ehlo);
  }

  @Test
  void heloRejectsCrLfNul() {
    assertRejectsInjection(SmtpCommand::helo);
  }

  @Test
  void mailRejectsCrLfNulInAddressAndParameters() {
    assertRejectsInjection(s -> SmtpCommand.mail(Mailbox.parse(s + "@x.example"), MailParameters.NONE));
    assertRejectsInjection(s -> SmtpCommand.mail(Mailbox.parse("\"" + s + "\"@x.example"), MailParameters.NONE));
    assertRejectsInjection(s -> SmtpCommand.mail(Mailbox.parse("a@" + s), MailParameters.NONE));
    assertRejectsInjection(s -> MailParameters.builder().envelopeId(s));
    assertRejectsInjection(s -> MailParameters.builder().auth(s));
  }

  @Test
  void rcptRejectsCrLfNulInAddressAndParameters() {
    assertRejectsInjection(s -> SmtpCommand.rcpt(Mailbox.parse(s + "@x.example"), RcptParameters.NONE));
    assertRejectsInjection(s -> RcptParameters.builder().originalRecipient("rfc822", s));
    assertRejectsInjection(s -> RcptParameters.builder().originalRecipient(s, "a@b"));
  }

  @Test
  void vrfyRejectsCrLfNul() {
    assertRejectsInjection(SmtpCommand::vrfy);
  }

  @Test
  void expnRejectsCrLfNul() {
    assertRejectsInjection(SmtpCommand::expn);
  }

  @Test
  void helpRejectsCrLfNul() {
    assertRejectsInjection(SmtpCommand::help);
  }

  @Test
  void authRejectsCrLfNul() {
    assertRejectsInjection(SmtpCommand::auth);
    assertRejectsInjection(s -> SmtpCommand.auth("PLAIN", s));
  }

  @Test
  void parameterlessFactoriesEncodeOnlyTheirVerb() {
    // DATA, BDAT, RSET, NOOP, QUIT, HELP, VERB, STARTTLS take no text: nothing can be injected
    for (SmtpCommand c : List.of(SmtpCommand.data(), SmtpCommand.bdat(5, true), SmtpCommand.rset(),
        SmtpCommand.noop(), SmtpCommand.quit(), SmtpCommand.help(), SmtpCommand.verbose(),
        SmtpCommand.starttls())) {
      String wire = new String(c.encode(), StandardCharsets.US_ASCII);
      assertEquals(wire.length() - 2, wire.indexOf("\r\n"), wire);
    }
    assertThrows(IllegalArgumentException.class, () -> SmtpCommand.bdat(-1, false));
  }

  @Test
  void factoryValidation() {
    assertThrows(IllegalArgumentException.class, () -> SmtpCommand.ehlo(""));
    assertThrows(IllegalArgumentException.class, () -> SmtpCommand.ehlo("a b"));
    assertThrows(IllegalArgumentException.class, () -> SmtpCommand.ehlo("faß.de"));
    assertThrows(IllegalArgumentException.class, () -> SmtpCommand.vrfy(""));
    assertThrows(IllegalArgumentException.class, () -> SmtpCommand.vrfy(" x"));
    assertThrows(IllegalArgumentException.class, () -> SmtpCommand.help("x\t"));
    assertThrows(IllegalArgumentException.class, () -> SmtpCommand.auth(""));
    assertThrows(IllegalArgumentException.class, () -> SmtpCommand.auth("A".repeat(21)));
    assertThrows(IllegalArgumentException.class, () -> SmtpCommand.auth("PLA IN"));
    assertThrows(IllegalArgumentException.class, () -> SmtpCommand.auth("PLAIN", "abc"));
    assertThrows(IllegalArgumentException.class, () -> SmtpCommand.auth("PLAIN", "a=bc"));
    assertThrows(IllegalArgumentException.class, () -> SmtpCommand.auth("PLAIN", "ab==="));
    assertThrows(IllegalArgumentException.class, () -> SmtpCommand.rcpt(Mailbox.NULL, RcptParameters.NONE));
  }

  // ------------------------------------------------------------ server-side parsing

  @Test
  void parseIsCaseInsensitiveAndTolerant() {
    assertEquals(SmtpCommand.quit(), SmtpCommand.parse("quit"));
    assertEquals(SmtpCommand.quit(), SmtpCommand.parse("QuIt  "));
    assertEquals(SmtpCommand.noop(), SmtpCommand.parse("NOOP anything goes"));
    assertEquals(SmtpCommand.verbose(), SmtpCommand.parse("verb on"));
    assertEquals(SmtpCommand.mail(Mailbox.parse("a@b.example"), MailParameters.NONE),
        SmtpCommand.parse("MAIL FROM: <a@b.example>"));
    assertEquals(SmtpCommand.mail(Mailbox.parse("a@b.example"),
            MailParameters.builder().size(5).body(BodyType.EIGHT_BIT_MIME).build()),
        SmtpCommand.parse("mail From:<a@B.example>   body=8bitmime  Size=5 "));
    assertEquals(SmtpCommand.rcpt(Mailbox.parse("c@d.example"),
            RcptParameters.builder().notifyOn(DsnNotify.FAILURE, DsnNotify.DELAY).build()),
        SmtpCommand.parse("rcpt to:<c@d.example> notify=delay,Failure"));
    assertEquals(Mailbox.parse("u@c.example"),
        SmtpCommand.parse("RCPT TO:<@a.example,@b.example:u@c.example>").mailbox().orElseThrow());
    assertEquals(Mailbox.parse("\"a>b\"@c.example"),
        SmtpCommand.parse("RCPT TO:<\"a>b\"@c.example>").mailbox().orElseThrow());
    assertEquals("x+y", SmtpCommand.parse("MAIL FROM:<> ENVID=x+2by").mailParameters()
        .orElseThrow().envelopeId().orElseThrow());
  }

  private static SmtpReply replyFor(String line) {
    return assertThrows(SmtpSyntaxException.class, () -> SmtpCommand.parse(line), line).reply();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " QUIT", "FOO", "QUITX", "MAIL-FROM:<a@b>", "qu\u0131t", "QU1T",
      "\u00c9HLO x", "verylongverb", "\tQUIT"})
  void unknownCommandsGet500(String line) {
    SmtpReply r = replyFor(line);
    assertEquals(500, r.code());
    assertEquals(Optional.of(EnhancedStatus.of(5, 5, 1)), r.enhancedStatus());
  }

  @ParameterizedTest
  @ValueSource(strings = {"QUIT\r", "QUIT\n", "NOOP\0", "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>", "DATA\r\n"})
  void crLfNulInLineGets500(String line) {
    SmtpSyntaxException e = assertThrows(SmtpSyntaxException.class, () -> SmtpCommand.parse(line));
    assertEquals(500, e.reply().code());
    assertEquals(Optional.of(EnhancedStatus.of(5, 5, 2)), e.reply().enhancedStatus());
    assertFalse(e.getMessage().contains("\r") || e.getMessage().contains("\n"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "EHLO|501", "EHLO a b|501", "EHLO a_b|501", "HELO [1.2.3]|501", "DATA x|501", "RSET x|501",
      "QUIT now|501", "STARTTLS x|501", "VRFY|501", "EXPN|501", "BDAT|501", "BDAT x|501",
      "BDAT 1 2|501", "BDAT -1|501", "BDAT 1 LAST x|501", "BDAT 9223372036854775808|501", "BDAT 12345678901234567890|501",
      "AUTH|501", "AUTH PLAIN a b|501", "AUTH PLAIN abc|501", "AUTH PL@IN|501",
      "MAIL|501", "MAIL TO:<a@b>|501", "MAIL FROM:|501", "MAIL FROM:a@b|501", "MAIL FROM:<a@b|501",
      "MAIL FROM:<a b@c>|501", "MAIL FROM:<a@b>SIZE=1|501", "MAIL FROM:<> SIZE|501",
      "MAIL FROM:<> SIZE=x|501", "MAIL FROM:<> SIZE=1 SIZE=2|501", "MAIL FROM:<> BODY=9BIT|501",
      "MAIL FROM:<> SMTPUTF8=yes|501", "MAIL FROM:<> RET=ALL|501", "MAIL FROM:<> ENVID=a+zz|501",
      "MAIL FROM:<> ENVID=+0D+0A|501", "MAIL FROM:<> =x|501", "MAIL FROM:<> -X=1|501",
      "MAIL FROM:<> X=|501", "MAIL FROM:<> FOO=1|555", "MAIL FROM:<> X-UNKNOWN|555",
      "RCPT TO:<>|501", "RCPT TO:<a@b> NOTIFY=NEVER,SUCCESS|501", "RCPT TO:<a@b> NOTIFY=|501",
      "RCPT TO:<a@b> NOTIFY=SUCCESS,SUCCESS|501", "RCPT TO:<a@b> ORCPT=rfc822|501",
      "RCPT TO:<a@b> ORCPT=;a@b|501", "RCPT TO:<a@b> SIZE=5|555", "RCPT FROM:<a@b>|501",
      "RCPT TO:<Postmaster>|501", "MAIL FROM:<> BODY=8BİTMIME|501", "RCPT TO:<a@b> NOTIFY=ſUCCESS|501"})
  void badParametersGetTheRightCode(String line, int code) {
    SmtpReply r = replyFor(line);
    assertEquals(code, r.code(), line);
    assertTrue(r.enhancedStatus().isPresent());
  }

  @Test
  void badAddressesGetAddressStatus() {
    assertEquals(Optional.of(EnhancedStatus.of(5, 1, 7)), replyFor("MAIL FROM:<a..b@c>").enhancedStatus());
    assertEquals(Optional.of(EnhancedStatus.of(5, 1, 3)), replyFor("RCPT TO:<a..b@c>").enhancedStatus());
    SmtpSyntaxException e = assertThrows(SmtpSyntaxException.class,
        () -> SmtpCommand.parse("RCPT TO:<a..b@c>"));
    assertTrue(e.getMessage().contains("a..b@c"), e.getMessage());
    // the reply never echoes client input
    assertFalse(e.reply().toString().contains("a..b"));
  }

  @Test
  void rcptParametersRoundTrip() {
    RcptParameters p = RcptParameters.builder().notifyOn(Set.of(DsnNotify.SUCCESS))
        .originalRecipient(Mailbox.parse("ü@bücher.example".replace("ü@", "u@"))).build();
    assertEquals("NOTIFY=SUCCESS ORCPT=rfc822;u@xn--bcher-kva.example", p.toString());
    assertThrows(IllegalArgumentException.class,
        () -> RcptParameters.builder().originalRecipient(Mailbox.parse("jö@x.example")));
    assertThrows(IllegalArgumentException.class,
        () -> RcptParameters.builder().notifyOn(DsnNotify.NEVER, DsnNotify.DELAY));
    assertTrue(RcptParameters.NONE.isEmpty());
    assertTrue(MailParameters.NONE.isEmpty());
    assertEquals("", MailParameters.NONE.toString());
  }

  @Test
  void syntaxExceptionIsTheDocumentedProtocolException() {
    SmtpProtocolException e = assertThrows(SmtpProtocolException.class, () -> SmtpCommand.parse("FOO"));
    assertTrue(e instanceof SmtpSyntaxException);
    assertEquals(SmtpReply.of(500, "5.5.1 Command unrecognized"), ((SmtpSyntaxException) e).reply());
  }
}
