package org.relaymail.protocol;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MessageNormalizerTest {

  static String decode(String s) {
    return s.replace('|', '\r').replace('~', '\n');
  }

  @ParameterizedTest(name = "[{index}] {0} -> {1}")
  @CsvSource(delimiter = ';', value = {
      "'';           ''",
      "a;            a|~",
      "a|~;          a|~",
      "a~b~;         a|~b|~",
      "a|b|;         a|~b|~",
      ".~..|~;       .|~..|~",
      "~~;           |~|~",
      "||~;          |~|~",
      "|~~|;         |~|~|~",
  })
  void exactBytes(String content, String canonical) {
    byte[] in = decode(content).getBytes(ISO_8859_1);
    byte[] out = MessageNormalizer.normalize(in);
    assertEquals(decode(canonical), new String(out, ISO_8859_1));
    assertNotSame(in, out);
    assertEquals(in.length == out.length && new String(in, ISO_8859_1).equals(decode(canonical)),
        MessageNormalizer.isCanonical(in));
  }

  @Test
  void lineTooLongNamesTheLine() {
    byte[] content = ("Subject: x\r\n\n" + "z".repeat(999) + "\r\n").getBytes(ISO_8859_1);
    LineTooLongException e =
        assertThrows(LineTooLongException.class, () -> MessageNormalizer.normalize(content));
    assertEquals(3, e.lineNumber());
    assertTrue(e.getMessage().startsWith("line 3 "), e.getMessage());
    assertTrue(e.getMessage().contains("RFC 5321 section 4.5.3.1.6"), e.getMessage());
    assertEquals(998 + 2, MessageNormalizer.normalize(("z".repeat(998)).getBytes(ISO_8859_1)).length);
    assertEquals("abc\r\nd\r\n",
        new String(MessageNormalizer.normalize("abc\rd".getBytes(ISO_8859_1), 3), ISO_8859_1));
  }

  @Test
  void checkCanonicalNamesTheFirstBareLineEnding() {
    BareLineEndingException lf = assertThrows(BareLineEndingException.class,
        () -> MessageNormalizer.checkCanonical("ab\r\ncd\nef\r\n".getBytes(ISO_8859_1)));
    assertEquals(6, lf.offset());
    assertEquals(2, lf.lineNumber());
    assertTrue(lf.getMessage().contains("bare LF at offset 6 (line 2)"), lf.getMessage());

    BareLineEndingException cr = assertThrows(BareLineEndingException.class,
        () -> MessageNormalizer.checkCanonical("ab\rcd\r\n".getBytes(ISO_8859_1)));
    assertEquals(2, cr.offset());
    assertEquals(1, cr.lineNumber());
    assertTrue(cr.getMessage().contains("bare CR"), cr.getMessage());

    BareLineEndingException end = assertThrows(BareLineEndingException.class,
        () -> MessageNormalizer.checkCanonical("ab\r\ncd".getBytes(ISO_8859_1)));
    assertTrue(end.getMessage().contains("does not end with CRLF"), end.getMessage());
    assertFalse(MessageNormalizer.isCanonical("x".getBytes(ISO_8859_1)));
    assertTrue(MessageNormalizer.isCanonical(new byte[0]));
  }

  @Test
  void streamingFormCompletesTheLastLineOnCloseAndClosesTheTarget() throws IOException {
    boolean[] closed = {false};
    ByteArrayOutputStream target = new ByteArrayOutputStream() {
      @Override
      public void close() {
        closed[0] = true;
      }
    };
    OutputStream out = MessageNormalizer.normalizingStream(target);
    out.write("a\nb\r".getBytes(ISO_8859_1));
    out.close();
    out.close();
    assertEquals("a\r\nb\r\n", target.toString(ISO_8859_1));
    assertTrue(closed[0]);
    assertThrows(IOException.class, () -> out.write('x'));
  }

  @Test
  void streamingFormRejectsLongLines() {
    OutputStream out = MessageNormalizer.normalizingStream(new ByteArrayOutputStream(), 4);
    LineTooLongException e =
        assertThrows(LineTooLongException.class, () -> out.write("ab\nabcde".getBytes(ISO_8859_1)));
    assertEquals(2, e.lineNumber());
  }

  @Test
  void binaryMimeContentIsNeverNormalised() {
    byte[] binary = {'a', '\n', 0, '\r', (byte) 0xFF, '.', '\n'};
    byte[] kept = MessageNormalizer.normalize(binary, BodyType.BINARY_MIME);
    assertArrayEquals(binary, kept);
    assertNotSame(binary, kept);
    assertEquals("a\r\n\0\r\n\u00ff.\r\n",
        new String(MessageNormalizer.normalize(binary, BodyType.EIGHT_BIT_MIME), ISO_8859_1));
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(IllegalArgumentException.class, () -> MessageNormalizer.normalize(new byte[0], 0));
    assertThrows(NullPointerException.class, () -> MessageNormalizer.normalize((byte[]) null));
    assertArrayEquals(new byte[0], MessageNormalizer.normalize(new byte[0]));
  }
}
