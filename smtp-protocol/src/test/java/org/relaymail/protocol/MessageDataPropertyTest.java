package org.relaymail.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded random properties of the message-data codec. The seeds are fixed (override with
 * {@code -Drelaymail.seeds=1,2,3}); a failure message names the seed and the case.
 */
class MessageDataPropertyTest {
  private static final int CASES_PER_SEED = 300;

  static LongStream seeds() {
    String list = System.getProperty("relaymail.seeds", "1,7,42,1999,20240611,-5,987654321");
    return Arrays.stream(list.split(",")).mapToLong(s -> Long.parseLong(s.trim()));
  }

  /** Content rich in dots, CR and LF, with short lines so that the line limit is not hit. */
  static byte[] content(Random random) {
    int length = random.nextInt(200);
    byte[] alphabet = {'.', '.', '\r', '\n', '\r', '\n', 'a', 'b', ' ', (byte) 0xC3, 0};
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = alphabet[random.nextInt(alphabet.length)];
    }
    return b;
  }

  /** Writes {@code b} in random pieces. */
  static void writeInPieces(OutputStream out, byte[] b, Random random) throws IOException {
    int i = 0;
    while (i < b.length) {
      int n = Math.min(b.length - i, random.nextInt(8));
      if (n == 1 && random.nextBoolean()) {
        out.write(b[i]);
      } else {
        out.write(b, i, n);
      }
      i += n;
    }
  }

  static byte[] stuff(byte[] content, Random random) throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    DotStuffingOutputStream out = new DotStuffingOutputStream(wire);
    writeInPieces(out, content, random);
    out.finish();
    assertEquals(wire.size(), out.bytesWritten());
    return wire.toByteArray();
  }

  static String describe(long seed, int n, byte[] content) {
    return "seed " + seed + ", case " + n + ", content "
        + SmtpSmugglingTest.escape(new String(content, java.nio.charset.StandardCharsets.ISO_8859_1));
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void stuffThenUnstuffIsTheNormalisedContent(long seed) throws IOException {
    Random random = new Random(seed);
    for (int n = 0; n < CASES_PER_SEED; n++) {
      byte[] content = content(random);
      String what = describe(seed, n, content);
      byte[] wire = stuff(content, random);
      InputStream in = random.nextBoolean()
          ? new BufferedInputStream(new ByteArrayInputStream(wire), 1 + random.nextInt(32))
          : DotUnstuffingInputStreamTest.unmarkable(wire);
      DotUnstuffingInputStream data = new DotUnstuffingInputStream(in, 1 << 16);
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] chunk = new byte[1 + random.nextInt(16)];
      for (int r; (r = data.read(chunk, 0, 1 + random.nextInt(chunk.length))) >= 0; ) {
        got.write(chunk, 0, r);
      }
      assertArrayEquals(MessageNormalizer.normalize(content), got.toByteArray(), what);
      assertEquals(-1, in.read(), "the unstuffer read to the end of the wire bytes: " + what);
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void wireHasNoBareLineEndingAndNoLoneDotLine(long seed) throws IOException {
    Random random = new Random(seed);
    for (int n = 0; n < CASES_PER_SEED; n++) {
      byte[] content = content(random);
      String what = describe(seed, n, content);
      byte[] wire = stuff(content, random);
      for (int i = 0; i < wire.length; i++) {
        if (wire[i] == '\r' && (i + 1 == wire.length || wire[i + 1] != '\n')) {
          fail("bare CR at " + i + ": " + what);
        }
        if (wire[i] == '\n' && (i == 0 || wire[i - 1] != '\r')) {
          fail("bare LF at " + i + ": " + what);
        }
      }
      int lineStart = 0;
      for (int i = 0; i + 1 < wire.length; i++) {
        if (wire[i] == '\r' && wire[i + 1] == '\n') {
          boolean last = i + 2 == wire.length;
          if (!last && wire[lineStart] == '.') {
            assertTrue(i - lineStart >= 2 && wire[lineStart + 1] == '.',
                "a line starting with a lone dot at " + lineStart + ": " + what);
          }
          if (last) {
            assertEquals(1, i - lineStart, "the last line is the lone dot: " + what);
            assertEquals('.', wire[lineStart], what);
          }
          lineStart = i + 2;
        }
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void normalisedContentIsCanonicalAndStableAndTheStreamingFormAgrees(long seed) throws IOException {
    Random random = new Random(seed);
    for (int n = 0; n < CASES_PER_SEED; n++) {
      byte[] content = content(random);
      String what = describe(seed, n, content);
      byte[] canonical = MessageNormalizer.normalize(content);
      assertTrue(MessageNormalizer.isCanonical(canonical), what);
      assertArrayEquals(canonical, MessageNormalizer.normalize(canonical), "idempotent: " + what);

      ByteArrayOutputStream streamed = new ByteArrayOutputStream();
      try (OutputStream out = MessageNormalizer.normalizingStream(streamed)) {
        writeInPieces(out, content, random);
      }
      assertArrayEquals(canonical, streamed.toByteArray(), "streaming form: " + what);

      ByteArrayOutputStream copied = new ByteArrayOutputStream();
      long count = MessageNormalizer.normalize(new ByteArrayInputStream(content), copied);
      assertArrayEquals(canonical, copied.toByteArray(), "copying form: " + what);
      assertEquals(canonical.length, count, what);
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void bdatChunksReassembleToTheCanonicalContent(long seed) throws IOException {
    Random random = new Random(seed);
    for (int n = 0; n < CASES_PER_SEED; n++) {
      byte[] canonical = MessageNormalizer.normalize(content(random));
      String what = describe(seed, n, canonical);
      int chunkSize = 1 + random.nextInt(40);
      ByteArrayOutputStream wire = new ByteArrayOutputStream();
      BdatOutputStream out = new BdatOutputStream(wire, chunkSize, false);
      writeInPieces(out, canonical, random);
      out.finish();
      byte[] sent = wire.toByteArray();
      assertEquals(sent.length, out.bytesWritten(), what);
      // parse the chunks back
      ByteArrayOutputStream content = new ByteArrayOutputStream();
      int i = 0;
      int chunks = 0;
      boolean last = false;
      while (i < sent.length) {
        assertTrue(!last, "data after BDAT LAST: " + what);
        int eol = indexOfCrlf(sent, i);
        String header = new String(sent, i, eol - i, java.nio.charset.StandardCharsets.US_ASCII);
        String[] parts = header.split(" ");
        assertEquals("BDAT", parts[0], what);
        int size = Integer.parseInt(parts[1]);
        last = parts.length == 3 && parts[2].equals("LAST");
        assertTrue(size <= chunkSize && (size > 0 || (last && canonical.length == 0)),
            "chunk of " + size + ": " + what);
        content.write(sent, eol + 2, size);
        i = eol + 2 + size;
        chunks++;
      }
      assertTrue(last, "ends with LAST: " + what);
      assertEquals(chunks, out.chunksSent(), what);
      assertArrayEquals(canonical, content.toByteArray(), what);
    }
  }

  static int indexOfCrlf(byte[] b, int from) {
    for (int i = from; i + 1 < b.length; i++) {
      if (b[i] == '\r' && b[i + 1] == '\n') {
        return i;
      }
    }
    throw new AssertionError("no CRLF after " + from);
  }
}
