package org.relaymail.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SmtpReplyTest {

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void singleLine() {
    SmtpReply r = SmtpReply.of(250, "2.1.0 Ok");
    assertEquals(250, r.code());
    assertEquals(List.of("2.1.0 Ok"), r.lines());
    assertEquals(Optional.of(EnhancedStatus.of(2, 1, 0)), r.enhancedStatus());
    assertEquals("Ok", r.text());
    assertEquals(ReplyType.POSITIVE_COMPLETION, r.type());
    assertTrue(r.isPositive());
    assertArrayEquals(ascii("250 2.1.0 Ok\r\n"), r.encode());
    assertEquals("250 2.1.0 Ok", r.toString());
  }

  @Test
  void multiLineEncoding() {
    SmtpReply r = SmtpReply.of(250, "mx.example.com", "PIPELINING", "SIZE 1000");
    assertArrayEquals(ascii("250-mx.example.com\r\n250-PIPELINING\r\n250 SIZE 1000\r\n"), r.encode());
    assertEquals("mx.example.com PIPELINING SIZE 1000", r.text());
  }

  @Test
  void emptyTextForms() {
    assertArrayEquals(ascii("250\r\n"), SmtpReply.of(250).encode());
    assertEquals(List.of(""), SmtpReply.of(250).lines());
    assertEquals(SmtpReply.of(250), SmtpReply.of(250, List.of()));
    assertArrayEquals(ascii("250-\r\n250\r\n"), SmtpReply.of(250, "", "").encode());
    assertEquals("", SmtpReply.of(250).text());
    assertEquals("250", SmtpReply.of(250).toString());
  }

  @Test
  void utf8Text() {
    assertArrayEquals(ascii("550 5.1.1 Empfänger unbekannt\r\n"),
        SmtpReply.of(550, "5.1.1 Empfänger unbekannt").encode());
  }

  @Test
  void classification() {
    assertEquals(ReplyType.POSITIVE_INTERMEDIATE, SmtpReply.of(354, "go").type());
    assertTrue(SmtpReply.of(334, "").isIntermediate());
    assertTrue(SmtpReply.of(421, "bye").isTransient());
    assertEquals(ReplyType.TRANSIENT_NEGATIVE, SmtpReply.of(451, "x").type());
    assertTrue(SmtpReply.of(554, "x").isPermanent());
    assertEquals(ReplyType.PERMANENT_NEGATIVE, SmtpReply.of(500, "x").type());
    assertFalse(SmtpReply.of(554, "x").isPositive());
  }

  @Test
  void enhancedStatusOnlyWhenClassMatches() {
    assertTrue(SmtpReply.of(250, "5.1.1 odd").enhancedStatus().isEmpty());
    assertEquals("5.1.1 odd", SmtpReply.of(250, "5.1.1 odd").text());
    assertTrue(SmtpReply.of(354, "2.0.0 go").enhancedStatus().isEmpty());
    assertTrue(SmtpReply.of(550, "5.1.1x no").enhancedStatus().isEmpty());
    assertTrue(SmtpReply.of(550, "no 5.1.1").enhancedStatus().isEmpty());
    assertEquals(Optional.of(EnhancedStatus.of(5, 7, 1)), SmtpReply.of(550, "5.7.1").enhancedStatus());
    assertEquals(Optional.of(EnhancedStatus.of(4, 2, 2)), SmtpReply.of(452, "4.2.2 full").enhancedStatus());
  }

  @Test
  void textStripsStatusFromEveryLine() {
    SmtpReply r = SmtpReply.of(550, "5.1.1 The email account", "5.1.1 does not exist.", "5.1.1");
    assertEquals("The email account does not exist.", r.text());
    assertEquals(r, SmtpReply.of(550, EnhancedStatus.of(5, 1, 1), "The email account", "does not exist.", ""));
  }

  @Test
  void ofWithStatusChecksClass() {
    assertThrows(IllegalArgumentException.class,
        () -> SmtpReply.of(250, EnhancedStatus.of(5, 0, 0), "x"));
    assertArrayEquals(ascii("451 4.3.0 try later\r\n"),
        SmtpReply.of(451, EnhancedStatus.of(4, 3, 0), "try later").encode());
  }

  @Test
  void rejectsBadInput() {
    for (int code : new int[] {0, 199, 600, 1000, -250}) {
      assertThrows(IllegalArgumentException.class, () -> SmtpReply.of(code, "x"), "" + code);
    }
    for (String bad : new String[] {"a\rb", "a\nb", "a\0b", "\r\n250 injected"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> SmtpReply.of(250, bad));
      assertFalse(e.getMessage().contains("\r") || e.getMessage().contains("\n"));
    }
    assertThrows(NullPointerException.class, () -> SmtpReply.of(250, (String) null));
  }

  @Test
  void equality() {
    assertEquals(SmtpReply.of(250, "a", "b"), SmtpReply.of(250, List.of("a", "b")));
    assertEquals(SmtpReply.of(250, "a").hashCode(), SmtpReply.of(250, "a").hashCode());
    assertFalse(SmtpReply.of(250, "a").equals(SmtpReply.of(251, "a")));
  }
}
