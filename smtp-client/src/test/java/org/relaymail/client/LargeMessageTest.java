package org.relaymail.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.relaymail.testsupport.SmtpSink;

/**
 * A 100 MB message sent by a forked JVM limited to 64 MB of heap: the content is streamed, never
 * held in memory. Against smtp-sink (skipped without it, failing under CI=true).
 */
class LargeMessageTest {
  static final long SIZE = 100L * 1024 * 1024;

  /** Generates {@code size} octets of canonical text lines without holding them. */
  static final class Lines extends InputStream {
    private final byte[] line =
        "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 ....\r\n"
            .getBytes(StandardCharsets.US_ASCII);
    private final byte[] header = "Subject: big\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private final long size;
    private long pos;

    Lines(long size) {
      this.size = size;
    }

    @Override
    public int read() {
      byte[] b = new byte[1];
      return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos >= size) {
        return -1;
      }
      int n = (int) Math.min(len, size - pos);
      for (int i = 0; i < n; i++) {
        long p = pos + i;
        b[off + i] = p < header.length ? header[(int) p]
            : line[(int) ((p - header.length) % line.length)];
      }
      // end on a line boundary: the last two octets are CRLF
      pos += n;
      return n;
    }
  }

  /**
   * The forked JVM's entry point.
   *
   * @param args host, port
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    Route route = Route.builder(args[0], Integer.parseInt(args[1])).tlsMode(TlsMode.NONE).build();
    long size = SIZE - (SIZE - 16) % 82; // header + whole lines
    MessageContent content = MessageContent.of(() -> new Lines(size));
    try (SmtpConnection c = SmtpConnection.open(route, ConnectionSettings.builder()
        .timeouts(SmtpTimeouts.all(Duration.ofMinutes(5))).build())) {
      TransactionResult r = c.send(Envelope.of("a@example.test", "b@example.test"), content);
      long heap = Runtime.getRuntime().maxMemory();
      System.out.println("RESULT " + r.allAccepted() + " size=" + content.info().size()
          + " maxHeap=" + heap);
      System.exit(r.allAccepted() ? 0 : 2);
    }
  }

  @Test
  void hundredMegabytesWithSixtyFourMegabytesOfHeap() throws Exception {
    RealPostfixTest.require(SmtpSink.unavailableReason());
    try (SmtpSink sink = SmtpSink.builder().start()) {
      Path out = Files.createTempFile("large-message", ".log");
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process p = new ProcessBuilder(List.of(java, "-Xmx64m", "-cp",
              System.getProperty("java.class.path"), LargeMessageTest.class.getName(),
              sink.address().getHostAddress(), String.valueOf(sink.port())))
          .redirectErrorStream(true).redirectOutput(out.toFile()).start();
      try {
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "the forked sender finished");
      } finally {
        p.destroyForcibly();
      }
      String log = Files.readString(out);
      Files.deleteIfExists(out);
      assertEquals(0, p.exitValue(), log);
      assertTrue(log.contains("RESULT true"), log);
      assertEquals(1, sink.awaitMessages(1, Duration.ofSeconds(60)));
    }
  }

}
