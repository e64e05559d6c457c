package org.relaymail.protocol;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class BdatOutputStreamTest {

  @Test
  void headerExactBytes() {
    assertEquals("BDAT 0 LAST\r\n", new String(BdatOutputStream.header(0, true), ISO_8859_1));
    assertEquals("BDAT 65536\r\n", new String(BdatOutputStream.header(65536, false), ISO_8859_1));
    assertEquals("BDAT 9876543210 LAST\r\n",
        new String(BdatOutputStream.header(9_876_543_210L, true), ISO_8859_1));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BdatOutputStream.header(-1, true));
    assertTrue(e.getMessage().contains("-1"), e.getMessage());
  }

  static String send(String content, int chunkSize, boolean binary) throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    BdatOutputStream out = new BdatOutputStream(wire, chunkSize, binary);
    out.write(content.getBytes(ISO_8859_1));
    out.finish();
    out.finish();
    assertEquals(wire.size(), out.bytesWritten());
    assertEquals(content.length(), out.contentBytes());
    assertTrue(out.isFinished());
    return wire.toString(ISO_8859_1);
  }

  @Test
  void chunksExactBytes() throws IOException {
    assertEquals("BDAT 0 LAST\r\n", send("", 4, false));
    assertEquals("BDAT 4 LAST\r\nab\r\n", send("ab\r\n", 4, false));
    assertEquals("BDAT 4\r\nab\r\nBDAT 4\r\n.\r\nxBDAT 2 LAST\r\n\r\n", send("ab\r\n.\r\nx\r\n", 4, false));
    assertEquals("BDAT 3\r\n.\r\nBDAT 3\r\n\n.\rBDAT 1 LAST\r\n\n", send(".\r\n\n.\r\n", 3, true));
  }

  @Test
  void bareLineFeedIsRefusedBeforeItsChunkAndLastIsNeverSent() throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    BdatOutputStream out = new BdatOutputStream(wire, 4, false);
    out.write("ab\r\ncd\ne".getBytes(ISO_8859_1));
    assertEquals("BDAT 4\r\nab\r\n", wire.toString(ISO_8859_1), "the first chunk is clean and sent");
    BareLineEndingException e = assertThrows(BareLineEndingException.class, () -> out.write('f'));
    assertEquals("BDAT 4\r\nab\r\n", wire.toString(ISO_8859_1), "the bad chunk is not sent");
    assertEquals(6, e.offset());
    assertFalse(wire.toString(ISO_8859_1).contains("LAST"));
    assertThrows(IllegalStateException.class, out::finish);
    assertThrows(IllegalStateException.class, () -> out.write('x'));
  }

  @Test
  void crlfSplitAcrossChunksIsFineButATrailingBareCrIsNot() throws IOException {
    assertEquals("BDAT 3\r\nab\rBDAT 1 LAST\r\n\n", send("ab\r\n", 3, false));
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    BdatOutputStream out = new BdatOutputStream(wire, 3, false);
    out.write("ab\r".getBytes(ISO_8859_1));
    BareLineEndingException e = assertThrows(BareLineEndingException.class, out::finish);
    assertEquals(2, e.offset());
    assertEquals("", wire.toString(ISO_8859_1));
  }

  @Test
  void lineTooLongIsRefusedUnlessBinary() throws IOException {
    String longLine = "q".repeat(999) + "\r\n";
    BdatOutputStream out = new BdatOutputStream(new ByteArrayOutputStream(), false);
    out.write(longLine.getBytes(ISO_8859_1));
    LineTooLongException e = assertThrows(LineTooLongException.class, out::finish);
    assertEquals(1, e.lineNumber());
    assertTrue(send(longLine, 100_000, true).startsWith("BDAT 1001 LAST\r\n"));
  }

  @Test
  void bodyTypeChoosesTheCheck() throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    BdatOutputStream binary = new BdatOutputStream(wire, 8, BodyType.BINARY_MIME);
    binary.write(new byte[] {'\n', '\r', 0});
    binary.finish();
    assertEquals("BDAT 3 LAST\r\n\n\r\0", wire.toString(ISO_8859_1));
    BdatOutputStream text = new BdatOutputStream(new ByteArrayOutputStream(), 8, BodyType.SEVEN_BIT);
    text.write('\n');
    assertThrows(BareLineEndingException.class, text::finish);
  }

  @Test
  void closeNeverSendsLast() throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    try (BdatOutputStream out = new BdatOutputStream(wire, 2, false)) {
      out.write("abcd".getBytes(ISO_8859_1));
    }
    assertEquals("BDAT 2\r\nab", wire.toString(ISO_8859_1));
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(IllegalArgumentException.class,
        () -> new BdatOutputStream(new ByteArrayOutputStream(), 0, false));
    assertThrows(NullPointerException.class, () -> new BdatOutputStream(null, false));
  }
}
