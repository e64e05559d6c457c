package org.relaymail.benchmarks;

import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.apache.commons.net.io.DotTerminatedMessageWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.relaymail.protocol.DotStuffingOutputStream;

/**
 * Dot-stuffing throughput on one 10 MiB canonical text body: relaymail's
 * {@link DotStuffingOutputStream} against Apache Commons Net's {@link DotTerminatedMessageWriter},
 * both ending the message and writing into a counting null sink. One operation is one whole body,
 * so MiB/s = ops/s x 10.
 *
 * <p>Each is fed the way its API takes content and the way its SMTP client stacks it: relaymail gets
 * bytes through a {@link BufferedOutputStream}; Commons Net gets the same content as chars (bytes
 * mapped one to one through ISO-8859-1, so the body is identical octet for octet) through its
 * {@code Writer} over a {@code BufferedWriter} and an ISO-8859-1 {@code OutputStreamWriter}, as
 * {@code SMTPClient} does. Both are fed in 8 KiB pieces, as {@code InputStream.transferTo} would.
 * Caveat: the char path includes the charset encoder, which is part of Commons Net's design (its
 * message writer is a {@code Writer}); with a non-Latin-1 encoding it would not be byte-transparent.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DotStuffingBenchmark {
  static final int BODY_SIZE = 10 * 1024 * 1024;
  private static final int PIECE = 8192;

  private byte[] body;
  private char[] chars;
  private long expectedWireSize;

  /** Builds the body once and checks that both encoders produce the same number of octets. */
  @Setup(Level.Trial)
  public void setUp() throws IOException {
    body = MessageBodies.textBody(BODY_SIZE, 20240611L);
    chars = new String(body, StandardCharsets.ISO_8859_1).toCharArray();
    expectedWireSize = relaymail();
    long commons = commonsNet();
    if (commons != expectedWireSize) {
      throw new IllegalStateException(
          "the encoders disagree: relaymail " + expectedWireSize + " octets, Commons Net " + commons);
    }
  }

  /**
   * relaymail: bytes in, stuffed bytes out.
   *
   * @return the octets written, so that the work cannot be eliminated
   */
  @Benchmark
  public long relaymail() throws IOException {
    CountingOutputStream sink = new CountingOutputStream();
    BufferedOutputStream buffered = new BufferedOutputStream(sink, PIECE);
    DotStuffingOutputStream out = new DotStuffingOutputStream(buffered);
    for (int i = 0; i < body.length; i += PIECE) {
      out.write(body, i, Math.min(PIECE, body.length - i));
    }
    out.finish();
    return sink.count();
  }

  /**
   * Commons Net: chars in through its Writer, ISO-8859-1 bytes out.
   *
   * @return the octets written, so that the work cannot be eliminated
   */
  @Benchmark
  public long commonsNet() throws IOException {
    CountingOutputStream sink = new CountingOutputStream();
    Writer wire = new BufferedWriter(new OutputStreamWriter(sink, StandardCharsets.ISO_8859_1));
    Writer out = new DotTerminatedMessageWriter(wire);
    for (int i = 0; i < chars.length; i += PIECE) {
      out.write(chars, i, Math.min(PIECE, chars.length - i));
    }
    out.close();
    return sink.count();
  }
}
