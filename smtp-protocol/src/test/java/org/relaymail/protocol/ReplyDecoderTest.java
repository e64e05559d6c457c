package org.relaymail.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReplyDecoderTest {

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<SmtpReply> decodeAll(ReplyDecoder d, String s) {
    byte[] b = bytes(s);
    return d.feed(b, 0, b.length);
  }

  private static final String STREAM =
      "220 mx.example.com ESMTP ready\r\n"
          + "250-mx.example.com greets you\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"
          + "250\r\n"
          + "250 2.1.0 Ok\r\n"
          + "354 End data with <CR><LF>.<CR><LF>\r\n"
          + "550-5.1.1 The email account that you tried to reach does not exist.\r\n"
          + "550 5.1.1 Please try again.\r\n"
          + "421 4.7.0 closing\r\n";

  private static final List<SmtpReply> EXPECTED =
      List.of(
          SmtpReply.of(220, "mx.example.com ESMTP ready"),
          SmtpReply.of(250, "mx.example.com greets you", "PIPELINING", "SIZE 10240000", "8BITMIME"),
          SmtpReply.of(250),
          SmtpReply.of(250, "2.1.0 Ok"),
          SmtpReply.of(354, "End data with <CR><LF>.<CR><LF>"),
          SmtpReply.of(550,
              "5.1.1 The email account that you tried to reach does not exist.",
              "5.1.1 Please try again."),
          SmtpReply.of(421, "4.7.0 closing"));

  @Test
  void decodesStreamInOneChunk() {
    ReplyDecoder d = new ReplyDecoder();
    assertEquals(EXPECTED, decodeAll(d, STREAM));
    assertFalse(d.hasPartialReply());
  }

  @Test
  void everySplitPositionGivesTheSameReplies() {
    byte[] b = bytes(STREAM);
    for (int split = 0; split <= b.length; split++) {
      ReplyDecoder d = new ReplyDecoder();
      List<SmtpReply> out = new ArrayList<>(d.feed(b, 0, split));
      out.addAll(d.feed(b, split, b.length - split));
      assertEquals(EXPECTED, out, "split at " + split);
    }
  }

  @Test
  void everyTwoSplitPositionsOnAMultiLineReply() {
    byte[] b = bytes("250-a\r\n250-\r\n250 c d\r\n");
    SmtpReply expected = SmtpReply.of(250, "a", "", "c d");
    for (int i = 0; i <= b.length; i++) {
      for (int j = i; j <= b.length; j++) {
        ReplyDecoder d = new ReplyDecoder();
        List<SmtpReply> out = new ArrayList<>(d.feed(b, 0, i));
        out.addAll(d.feed(b, i, j - i));
        assertEquals(j > 0 && j < b.length, d.hasPartialReply(), "partial after " + j);
        out.addAll(d.feed(b, j, b.length - j));
        assertEquals(List.of(expected), out, "splits " + i + "," + j);
      }
    }
  }

  @Test
  void byteByByte() {
    ReplyDecoder d = new ReplyDecoder();
    byte[] b = bytes(STREAM);
    List<SmtpReply> out = new ArrayList<>();
    for (int i = 0; i < b.length; i++) {
      out.addAll(d.feed(b, i, 1));
    }
    assertEquals(EXPECTED, out);
  }

  @Test
  void bareCodeEndsReplyImmediately() {
    ReplyDecoder d = new ReplyDecoder();
    assertEquals(List.of(SmtpReply.of(250)), decodeAll(d, "250\r\n"));
    assertEquals(List.of(SmtpReply.of(250, "")), decodeAll(d, "250 \r\n"));
    assertEquals(List.of(SmtpReply.of(334)), decodeAll(d, "334\r\n"));
  }

  @Test
  void bareLfAcceptedAsLineEnd() {
    ReplyDecoder d = new ReplyDecoder();
    assertEquals(
        List.of(SmtpReply.of(250, "a", "b"), SmtpReply.of(220, "x")),
        decodeAll(d, "250-a\n250 b\r\n220 x\n"));
  }

  @Test
  void utf8TextDecoded() {
    ReplyDecoder d = new ReplyDecoder();
    assertEquals(List.of(SmtpReply.of(550, "Empfänger unbekannt")),
        decodeAll(d, "550 Empfänger unbekannt\r\n"));
    byte[] bad = {'2', '5', '0', ' ', (byte) 0xff, '\r', '\n'};
    assertEquals(List.of(SmtpReply.of(250, "\uFFFD")), d.feed(bad, 0, bad.length));
  }

  @Test
  void partialReplyReported() {
    ReplyDecoder d = new ReplyDecoder();
    assertTrue(decodeAll(d, "250-a\r\n250 b").isEmpty());
    assertTrue(d.hasPartialReply());
    assertEquals(List.of(SmtpReply.of(250, "a", "b")), decodeAll(d, "\r\n"));
    assertFalse(d.hasPartialReply());
    assertTrue(decodeAll(d, "2").isEmpty());
    assertTrue(d.hasPartialReply());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\r\n", "25\r\n", "abc\r\n", "150 x\r\n", "650 x\r\n", "2a0 x\r\n", "250x\r\n",
        "250_x\r\n", "250-a\r\n251 b\r\n", "250 a\rb\r\n", "250 a\0\r\n", "\n", "250\t x\r\n",
        "٢٥٠ x\r\n"
      })
  void malformedInputThrowsProtocolExceptionQuotingTheLine(String input) {
    ReplyDecoder d = new ReplyDecoder();
    SmtpProtocolException e =
        assertThrows(SmtpProtocolException.class, () -> decodeAll(d, input));
    assertTrue(e.getMessage().contains("\""), e.getMessage());
    assertFalse(e.getMessage().contains("\r") || e.getMessage().contains("\n"), e.getMessage());
    // unusable afterwards
    assertThrows(SmtpProtocolException.class, () -> decodeAll(d, "250 ok\r\n"));
    assertFalse(d.hasPartialReply());
  }

  @Test
  void errorMessageQuotesAndShortensTheLine() {
    ReplyDecoder d = new ReplyDecoder();
    SmtpProtocolException e =
        assertThrows(SmtpProtocolException.class, () -> decodeAll(d, "hello\u0001" + "x".repeat(200) + "\r\n"));
    assertTrue(e.getMessage().contains("\"hello\\x01xxx"), e.getMessage());
    assertTrue(e.getMessage().contains("...\""), e.getMessage());
    assertTrue(e.getMessage().length() < 250, e.getMessage());
  }

  @Test
  void maxLineLengthEnforcedWithoutWaitingForLineEnd() {
    ReplyDecoder d = new ReplyDecoder(10, 100);
    assertEquals(List.of(SmtpReply.of(250, "123456")), decodeAll(d, "250 123456\r\n"));
    byte[] b = bytes("250 1234567");
    SmtpProtocolException e = assertThrows(SmtpProtocolException.class, () -> d.feed(b, 0, b.length));
    assertTrue(e.getMessage().contains("longer than 10"), e.getMessage());
    ReplyDecoder dflt = new ReplyDecoder();
    byte[] big = bytes("250 " + "x".repeat(ReplyDecoder.DEFAULT_MAX_LINE_LENGTH));
    assertThrows(SmtpProtocolException.class, () -> dflt.feed(big, 0, big.length));
  }

  @Test
  void maxReplySizeEnforced() {
    ReplyDecoder d = new ReplyDecoder(20, 30);
    // 2 lines of 12 octets = 24: fine; the third would reach 36
    assertEquals(List.of(SmtpReply.of(250, "aaaaaaa", "bbbbbbb")),
        decodeAll(d, "250-aaaaaaa\r\n250 bbbbbbb\r\n"));
    SmtpProtocolException e =
        assertThrows(SmtpProtocolException.class,
            () -> decodeAll(d, "250-aaaaaaa\r\n250-bbbbbbb\r\n250 cc"));
    assertTrue(e.getMessage().contains("longer than 30"), e.getMessage());
    // default: an endless multi-line reply stops at 64 KiB
    ReplyDecoder dflt = new ReplyDecoder();
    ByteArrayOutputStream endless = new ByteArrayOutputStream();
    while (endless.size() <= ReplyDecoder.DEFAULT_MAX_REPLY_BYTES) {
      endless.writeBytes(bytes("250-" + "y".repeat(100) + "\r\n"));
    }
    byte[] eb = endless.toByteArray();
    assertThrows(SmtpProtocolException.class, () -> dflt.feed(eb, 0, eb.length));
  }

  @Test
  void limitsValidated() {
    assertThrows(IllegalArgumentException.class, () -> new ReplyDecoder(2, 100));
    assertThrows(IllegalArgumentException.class, () -> new ReplyDecoder(100, 101));
  }

  @Test
  void offsetsRespected() {
    byte[] b = bytes("xx250 ok\r\nyy");
    assertEquals(List.of(SmtpReply.of(250, "ok")), new ReplyDecoder().feed(b, 2, 8));
    assertThrows(IndexOutOfBoundsException.class, () -> new ReplyDecoder().feed(b, 5, 20));
  }

  @Test
  void encodeThenDecodeIsIdentity() {
    List<SmtpReply> replies = List.of(
        SmtpReply.of(250), SmtpReply.of(250, "", ""), SmtpReply.of(220, "a b  c "),
        SmtpReply.of(550, EnhancedStatus.of(5, 7, 1), "no", "really no"));
    for (SmtpReply r : replies) {
      byte[] b = r.encode();
      assertEquals(List.of(r), new ReplyDecoder().feed(b, 0, b.length), r.toString());
    }
  }
}
