package org.relaymail.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;

/**
 * Jazzer fuzz tests of the message-data codec. A normal build replays the inputs under
 * {@code src/test/resources/org/relaymail/protocol/MessageDataFuzzTestInputs/}; {@code JAZZER_FUZZ=1}
 * with {@code -Dtest=MessageDataFuzzTest#method} searches for new ones.
 */
class MessageDataFuzzTest {

  /** Stuffing then unstuffing gives the normalised content, whatever the content and chunking. */
  @FuzzTest(maxDuration = "30s")
  void stuffingRoundTrip(FuzzedDataProvider data) throws IOException {
    int maxLine = data.consumeInt(1, 1200);
    int piece = data.consumeInt(1, 64);
    byte[] content = data.consumeRemainingAsBytes();

    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    DotStuffingOutputStream out = new DotStuffingOutputStream(wire, maxLine);
    byte[] canonical;
    try {
      canonical = MessageNormalizer.normalize(content, maxLine);
    } catch (LineTooLongException expected) {
      LineTooLongException e = assertThrows(LineTooLongException.class, () -> {
        writeInPieces(out, content, piece);
        out.finish();
      });
      assertEquals(expected.lineNumber(), e.lineNumber(), "both name the same line");
      assertFalse(out.isFinished());
      byte[] sent = wire.toByteArray();
      assertFalse(endsWithMarker(sent), "no end-of-data marker after a line-length failure");
      return;
    }
    writeInPieces(out, content, piece);
    out.finish();
    byte[] sent = wire.toByteArray();
    assertEquals(sent.length, out.bytesWritten());
    assertTrue(endsWithMarker(sent));
    SmtpSmugglingTest.assertNoBareLineEnding(sent);

    DotUnstuffingInputStream in =
        new DotUnstuffingInputStream(new ByteArrayInputStream(sent), Long.MAX_VALUE);
    assertArrayEquals(canonical, in.readAllBytes());
    assertEquals(sent.length, in.bytesRead(), "the marker is the first and only one");
  }

  /** Arbitrary wire bytes yield content, EOF before the marker, or the size exception; nothing else. */
  @FuzzTest(maxDuration = "30s")
  void unstuffArbitraryBytes(byte[] wire) throws IOException {
    long max = 256;
    DotUnstuffingInputStream in =
        new DotUnstuffingInputStream(new BufferedInputStream(new ByteArrayInputStream(wire), 7), max);
    byte[] content;
    try {
      content = in.readAllBytes();
    } catch (EOFException e) {
      assertFalse(in.isEnded());
      return;
    } catch (MessageTooLargeException e) {
      assertEquals(max, e.maxSize());
      assertTrue(in.size() <= max);
      return;
    }
    assertTrue(in.isEnded());
    assertTrue(content.length <= max);
    int consumed = (int) in.bytesRead();
    byte[] used = Arrays.copyOf(wire, consumed);
    assertTrue(consumed == 3 ? Arrays.equals(used, new byte[] {'.', '\r', '\n'}) : endsWithMarker(used),
        "ends at CRLF.CRLF");

    // what a server received can be relayed: stuffing it again round-trips to its normal form
    ByteArrayOutputStream again = new ByteArrayOutputStream();
    DotStuffingOutputStream out = new DotStuffingOutputStream(again, Integer.MAX_VALUE);
    out.write(content);
    out.finish();
    byte[] back = new DotUnstuffingInputStream(
        new ByteArrayInputStream(again.toByteArray()), Long.MAX_VALUE).readAllBytes();
    assertArrayEquals(MessageNormalizer.normalize(content, Integer.MAX_VALUE), back);
  }

  private static void writeInPieces(DotStuffingOutputStream out, byte[] b, int piece)
      throws IOException {
    for (int i = 0; i < b.length; i += piece) {
      out.write(b, i, Math.min(piece, b.length - i));
    }
  }

  private static boolean endsWithMarker(byte[] b) {
    int n = b.length;
    if (n == 3) {
      return b[0] == '.' && b[1] == '\r' && b[2] == '\n';
    }
    return n >= 5 && b[n - 5] == '\r' && b[n - 4] == '\n' && b[n - 3] == '.' && b[n - 2] == '\r'
        && b[n - 1] == '\n';
  }
}
