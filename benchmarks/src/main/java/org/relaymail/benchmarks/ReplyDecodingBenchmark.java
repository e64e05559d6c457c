package org.relaymail.benchmarks;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.relaymail.protocol.ReplyDecoder;
import org.relaymail.protocol.SmtpReply;

/**
 * Reply decoding throughput of relaymail's {@link ReplyDecoder}: a realistic pipelined stream of
 * {@value #REPLIES} replies (greeting, a 9-line EHLO reply, then transactions of MAIL/RCPT/DATA/
 * end-of-data replies with enhanced status codes, and some 4xx/5xx), fed in 4 KiB reads as a socket
 * would deliver them. The score is replies per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ReplyDecodingBenchmark {
  static final int REPLIES = 10_000;
  private static final int READ = 4096;

  private byte[] stream;

  /** Builds the reply stream once and checks that it decodes to {@value #REPLIES} replies. */
  @Setup(Level.Trial)
  public void setUp() {
    String[] transaction = {
      "250 2.1.0 Ok\r\n",
      "250 2.1.5 Ok\r\n",
      "550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown\r\n",
      "354 End data with <CR><LF>.<CR><LF>\r\n",
      "250 2.0.0 Ok: queued as 4Zk9Qd1XyZz3xyz\r\n",
      "451 4.7.1 Please try again later\r\n",
    };
    String ehlo = "250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-ETRN\r\n"
        + "250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250 CHUNKING\r\n";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("220 mx.example.net ESMTP Postfix\r\n".getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(ehlo.getBytes(StandardCharsets.US_ASCII));
    for (int i = 2; i < REPLIES; i++) {
      out.writeBytes(transaction[i % transaction.length].getBytes(StandardCharsets.US_ASCII));
    }
    stream = out.toByteArray();
    int decoded = decodeAll();
    if (decoded != REPLIES) {
      throw new IllegalStateException("decoded " + decoded + " replies, expected " + REPLIES);
    }
  }

  /**
   * Decodes the whole stream with a fresh decoder.
   *
   * @return the number of replies, so that the work cannot be eliminated
   */
  @Benchmark
  @OperationsPerInvocation(REPLIES)
  public int decode() {
    return decodeAll();
  }

  private int decodeAll() {
    ReplyDecoder decoder = new ReplyDecoder();
    int count = 0;
    for (int i = 0; i < stream.length; i += READ) {
      List<SmtpReply> replies = decoder.feed(stream, i, Math.min(READ, stream.length - i));
      count += replies.size();
    }
    return count;
  }
}
