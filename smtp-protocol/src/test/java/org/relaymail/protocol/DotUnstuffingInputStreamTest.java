package org.relaymail.protocol;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DotUnstuffingInputStreamTest {

  /** A stream without mark support, to force the byte-at-a-time path. */
  static InputStream unmarkable(byte[] bytes) {
    return new FilterInputStream(new ByteArrayInputStream(bytes)) {
      @Override
      public boolean markSupported() {
        return false;
      }
    };
  }

  static InputStream source(byte[] bytes, boolean bulk) {
    return bulk ? new BufferedInputStream(new ByteArrayInputStream(bytes), 16) : unmarkable(bytes);
  }

  static String decode(String s) {
    return s.replace('|', '\r').replace('~', '\n');
  }

  /** Reads one message and returns content and what is left in the wrapped stream. */
  static String[] unstuff(String wire, boolean bulk) throws IOException {
    InputStream in = source(decode(wire).getBytes(ISO_8859_1), bulk);
    DotUnstuffingInputStream data = new DotUnstuffingInputStream(in, 1 << 20);
    String content = new String(data.readAllBytes(), ISO_8859_1);
    assertTrue(data.isEnded());
    assertEquals(-1, data.read());
    String rest = new String(in.readAllBytes(), ISO_8859_1);
    assertEquals(decode(wire).length() - rest.length(), data.bytesRead());
    assertEquals(content.length(), data.size());
    return new String[] {content, rest};
  }

  @ParameterizedTest(name = "[{index}] {0} -> {1} + {2}")
  @CsvSource(delimiter = ';', value = {
      ".|~;                        '';             ''",
      ".|~QUIT|~;                  '';             QUIT|~",
      "a|~.|~;                     a|~;            ''",
      "..|~.|~;                    .|~;            ''",
      "...|~.|~;                   ..|~;           ''",
      "..a|~b.|~.|~NOOP|~;         .a|~b.|~;       NOOP|~",
      ".a|~.|~;                    a|~;            ''",
      "a~.~b|~.|~;                 a~.~b|~;        ''",
      "a|~.~b|~.|~;                a|~~b|~;        ''",
      "a~.|~b|~.|~;                a~.|~b|~;       ''",
      "a|.|b|~.|~;                 a|.|b|~;        ''",
      "a|~.|b|~.|~;                a|~|b|~;        ''",
      "a|~.||~.|~;                 a|~||~;         ''",
      "|~.|~;                      |~;             ''",
      "a|~|~.|~|~.|~;              a|~|~;          |~.|~",
  })
  void exactContentAndNothingReadPastTheMarker(String wire, String content, String rest)
      throws IOException {
    for (boolean bulk : new boolean[] {true, false}) {
      String[] got = unstuff(wire, bulk);
      assertEquals(decode(content), got[0], "content, bulk=" + bulk);
      assertEquals(decode(rest), got[1], "rest, bulk=" + bulk);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"a~.~", "a|~.~", "a~.|~", "a|.|", "a|~.|", "a|.~", "a", ".", ".|", "a|~.|x"})
  void bareLineEndingLookAlikesDoNotEndTheMessage(String wire) {
    for (boolean bulk : new boolean[] {true, false}) {
      DotUnstuffingInputStream data =
          new DotUnstuffingInputStream(source(decode(wire).getBytes(ISO_8859_1), bulk), 100);
      EOFException e = assertThrows(EOFException.class, data::readAllBytes);
      assertTrue(e.getMessage().contains("CRLF.CRLF"), e.getMessage());
    }
  }

  @Test
  void contentOfExactlyMaxSizeIsAccepted() throws IOException {
    byte[] wire = "abc\r\n.\r\n".getBytes(ISO_8859_1);
    DotUnstuffingInputStream data = new DotUnstuffingInputStream(new ByteArrayInputStream(wire), 5);
    assertArrayEquals("abc\r\n".getBytes(ISO_8859_1), data.readAllBytes());
  }

  @Test
  void oneOctetOverMaxSizeThrowsAndDiscardRemainingKeepsTheSessionInStep() throws IOException {
    byte[] wire = "abcd\r\n..x\r\n.\r\nQUIT\r\n".getBytes(ISO_8859_1);
    for (boolean bulk : new boolean[] {true, false}) {
      InputStream in = source(wire, bulk);
      DotUnstuffingInputStream data = new DotUnstuffingInputStream(in, 5);
      byte[] got = new byte[5];
      assertEquals(5, data.readNBytes(got, 0, 5));
      MessageTooLargeException e = assertThrows(MessageTooLargeException.class, data::read);
      assertEquals(5, e.maxSize());
      assertTrue(e.getMessage().contains("552"), e.getMessage());
      assertThrows(MessageTooLargeException.class, data::read);
      assertEquals(4, data.discardRemaining(), ".x CRLF, unstuffed");
      assertEquals("QUIT\r\n", new String(in.readAllBytes(), ISO_8859_1), "bulk=" + bulk);
    }
  }

  @Test
  void zeroMaxSizeAcceptsOnlyAnEmptyMessage() throws IOException {
    DotUnstuffingInputStream empty =
        new DotUnstuffingInputStream(new ByteArrayInputStream(".\r\n".getBytes(ISO_8859_1)), 0);
    assertEquals(0, empty.readAllBytes().length);
    DotUnstuffingInputStream one =
        new DotUnstuffingInputStream(new ByteArrayInputStream("a\r\n.\r\n".getBytes(ISO_8859_1)), 0);
    assertThrows(MessageTooLargeException.class, one::readAllBytes);
  }

  @Test
  void twoMessagesBackToBackOnOneConnection() throws IOException {
    InputStream in = new BufferedInputStream(new ByteArrayInputStream(
        "one\r\n.\r\ntwo\r\n..\r\n.\r\n".getBytes(ISO_8859_1)));
    assertEquals("one\r\n", new String(new DotUnstuffingInputStream(in, 100).readAllBytes(), ISO_8859_1));
    assertEquals("two\r\n.\r\n", new String(new DotUnstuffingInputStream(in, 100).readAllBytes(), ISO_8859_1));
    assertEquals(-1, in.read());
  }

  @Test
  void toleratesReadsThatReturnNothingAndTinyReads() throws IOException {
    InputStream stingy = new BufferedInputStream(new ByteArrayInputStream(
        "..a\r\nb\r\n.\r\nNOOP\r\n".getBytes(ISO_8859_1)), 4) {
      private int calls;

      @Override
      public synchronized int read(byte[] b, int off, int len) throws IOException {
        return calls++ % 2 == 0 ? 0 : super.read(b, off, Math.min(len, 3));
      }
    };
    DotUnstuffingInputStream data = new DotUnstuffingInputStream(stingy, 100);
    assertEquals(".a\r\nb\r\n", new String(data.readAllBytes(), ISO_8859_1));
    assertEquals("NOOP\r\n", new String(stingy.readAllBytes(), ISO_8859_1));
  }

  @Test
  void rejectsBadArgumentsAndUseAfterClose() throws IOException {
    assertThrows(IllegalArgumentException.class,
        () -> new DotUnstuffingInputStream(new ByteArrayInputStream(new byte[0]), -1));
    DotUnstuffingInputStream data =
        new DotUnstuffingInputStream(new ByteArrayInputStream(new byte[0]), 1);
    assertEquals(0, data.read(new byte[1], 0, 0));
    data.close();
    assertThrows(IOException.class, data::read);
  }
}
