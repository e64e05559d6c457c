package org.relaymail.protocol;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class DotStuffingOutputStreamTest {

  static String stuff(String content) throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    DotStuffingOutputStream out = new DotStuffingOutputStream(wire);
    out.write(content.getBytes(ISO_8859_1));
    out.finish();
    assertEquals(wire.size(), out.bytesWritten(), "bytesWritten counts every octet on the wire");
    assertEquals(content.length(), out.contentBytes());
    return wire.toString(ISO_8859_1);
  }

  /** Exact bytes; '|' stands for CR and '~' for LF so that the table stays readable. */
  @ParameterizedTest(name = "[{index}] {0} -> {1}")
  @CsvSource(delimiter = ';', value = {
      "'';                 .|~",
      "a;                  a|~.|~",
      "a|~;                a|~.|~",
      ".;                  ..|~.|~",
      ".|~;                ..|~.|~",
      "..;                 ...|~.|~",
      ".a|~.b|~;           ..a|~..b|~.|~",
      "a|~.|~b|~;          a|~..|~b|~.|~",
      "a.b|~ .c|~;         a.b|~ .c|~.|~",
      "a~b;                a|~b|~.|~",
      "a|b;                a|~b|~.|~",
      "a~.~b;              a|~..|~b|~.|~",
      "a|.|b;              a|~..|~b|~.|~",
      "a|~.~;              a|~..|~.|~",
      "a|~.|;              a|~..|~.|~",
      "~;                  |~.|~",
      "|;                  |~.|~",
      "||~~;               |~|~|~.|~",
      "~|;                 |~|~.|~",
      "|~|~;               |~|~.|~",
      "a|;                 a|~.|~",
  })
  void exactBytes(String content, String wire) throws IOException {
    assertEquals(decode(wire), stuff(decode(content)));
  }

  static String decode(String s) {
    return s.replace('|', '\r').replace('~', '\n');
  }

  @Test
  void outputDoesNotDependOnHowTheContentIsSplit() throws IOException {
    String content = "..a\r\n.\nb\r.\r\rc\n\n.d\r";
    String whole = stuff(content);
    byte[] bytes = content.getBytes(ISO_8859_1);
    for (int split = 0; split <= bytes.length; split++) {
      ByteArrayOutputStream wire = new ByteArrayOutputStream();
      DotStuffingOutputStream out = new DotStuffingOutputStream(wire);
      out.write(bytes, 0, split);
      out.write(bytes, split, bytes.length - split);
      out.finish();
      assertEquals(whole, wire.toString(ISO_8859_1), "split at " + split);
    }
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    DotStuffingOutputStream out = new DotStuffingOutputStream(wire);
    for (byte b : bytes) {
      out.write(b);
    }
    out.finish();
    assertEquals(whole, wire.toString(ISO_8859_1), "byte by byte");
  }

  @Test
  void lineOf998OctetsPassesAndTheStuffedDotIsNotCounted() throws IOException {
    String line = "." + "x".repeat(997);
    assertEquals(".." + "x".repeat(997) + "\r\n.\r\n", stuff(line + "\r\n"));
  }

  @Test
  void lineTooLongNamesTheLineAndNeverWritesTheEndOfData() throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    DotStuffingOutputStream out = new DotStuffingOutputStream(wire);
    out.write("first\r\nsecond\r\n".getBytes(ISO_8859_1));
    byte[] longLine = new byte[999];
    Arrays.fill(longLine, (byte) 'y');
    LineTooLongException e = assertThrows(LineTooLongException.class, () -> {
      out.write(longLine, 0, 500);
      out.write(longLine, 500, 499);
    });
    assertEquals(3, e.lineNumber());
    assertEquals(998, e.limit());
    assertEquals(999, e.length());
    assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    assertTrue(e.getMessage().contains("998"), e.getMessage());
    assertThrows(IllegalStateException.class, out::finish);
    assertThrows(IllegalStateException.class, () -> out.write('a'));
    assertFalse(wire.toString(ISO_8859_1).contains("\r\n.\r\n"), "the end-of-data marker was written");
    assertFalse(out.isFinished());
  }

  @Test
  void lineLengthCountsAcrossBareLineEndings() throws IOException {
    DotStuffingOutputStream out = new DotStuffingOutputStream(new ByteArrayOutputStream(), 3);
    out.write("abc\nabc\rabc\r\n".getBytes(ISO_8859_1));
    LineTooLongException e =
        assertThrows(LineTooLongException.class, () -> out.write("ab\rabcd".getBytes(ISO_8859_1)));
    assertEquals(5, e.lineNumber());
  }

  @Test
  void closeDoesNotEndTheMessageNorCloseTheConnection() throws IOException {
    boolean[] closed = {false};
    ByteArrayOutputStream wire = new ByteArrayOutputStream() {
      @Override
      public void close() {
        closed[0] = true;
      }
    };
    try (DotStuffingOutputStream out = new DotStuffingOutputStream(wire)) {
      out.write("partial".getBytes(ISO_8859_1));
    }
    assertEquals("partial", wire.toString(ISO_8859_1));
    assertFalse(closed[0], "the wrapped stream belongs to the session");
  }

  @Test
  void finishTwiceWritesTheMarkerOnceAndLaterWritesAreRefused() throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    DotStuffingOutputStream out = new DotStuffingOutputStream(wire);
    out.write('a');
    out.finish();
    out.finish();
    assertEquals("a\r\n.\r\n", wire.toString(ISO_8859_1));
    assertTrue(out.isFinished());
    assertEquals(6, out.bytesWritten());
    assertThrows(IllegalStateException.class, () -> out.write('b'));
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(NullPointerException.class, () -> new DotStuffingOutputStream(null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new DotStuffingOutputStream(new ByteArrayOutputStream(), 0));
    assertTrue(e.getMessage().contains("0"), e.getMessage());
    DotStuffingOutputStream out = new DotStuffingOutputStream(new ByteArrayOutputStream());
    assertThrows(IndexOutOfBoundsException.class, () -> out.write(new byte[2], 1, 2));
  }
}
