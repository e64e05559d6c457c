package org.relaymail.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;

/**
 * Coverage-guided fuzz tests of the three parsers. In a normal build they replay the inputs stored
 * under {@code src/test/resources/org/relaymail/protocol/CodecFuzzTestInputs/<method>/}; with {@code
 * JAZZER_FUZZ=1} and {@code -Dtest=CodecFuzzTest#<method>} one of them searches for new inputs.
 * Arbitrary input must yield a value or the documented exception, never anything else.
 */
class CodecFuzzTest {

  /** Any bytes, fed in two chunks split at a fuzzed position: replies or SmtpProtocolException. */
  @FuzzTest(maxDuration = "60s")
  void replyDecoder(FuzzedDataProvider data) {
    int maxLine = data.consumeInt(3, 300);
    int maxReply = data.consumeInt(maxLine + 2, 2000);
    int split = data.consumeInt(0, 1 << 16);
    byte[] input = data.consumeRemainingAsBytes();
    split = Math.min(split, input.length);

    List<SmtpReply> whole = null;
    SmtpProtocolException wholeError = null;
    try {
      whole = new ReplyDecoder(maxLine, maxReply).feed(input, 0, input.length);
    } catch (SmtpProtocolException e) {
      wholeError = e;
    }
    ReplyDecoder d = new ReplyDecoder(maxLine, maxReply);
    List<SmtpReply> chunked = new ArrayList<>();
    SmtpProtocolException chunkedError = null;
    try {
      chunked.addAll(d.feed(input, 0, split));
      chunked.addAll(d.feed(input, split, input.length - split));
    } catch (SmtpProtocolException e) {
      chunkedError = e;
    }
    assertEquals(wholeError == null, chunkedError == null, "chunking changed the outcome");
    if (whole != null) {
      assertEquals(whole, chunked, "chunking changed the replies");
      for (SmtpReply r : whole) {
        // every decoded reply re-encodes and decodes to itself
        byte[] enc = r.encode();
        assertEquals(List.of(r), new ReplyDecoder(Integer.MAX_VALUE / 2, Integer.MAX_VALUE)
            .feed(enc, 0, enc.length));
      }
    } else {
      assertFalse(wholeError.getMessage().contains("\n"), wholeError.getMessage());
    }
  }

  /** Any line: a command whose wire form parses back to itself, or SmtpSyntaxException. */
  @FuzzTest(maxDuration = "60s")
  void commandParse(FuzzedDataProvider data) {
    String line = data.consumeRemainingAsString();
    SmtpCommand cmd;
    try {
      cmd = SmtpCommand.parse(line);
    } catch (SmtpSyntaxException e) {
      SmtpReply r = e.reply();
      assertTrue(r.code() == 500 || r.code() == 501 || r.code() == 555, r.toString());
      assertFalse(e.getMessage().contains("\r") || e.getMessage().contains("\n"));
      return;
    }
    String wire = cmd.toLine();
    assertFalse(wire.contains("\r") || wire.contains("\n") || wire.contains("\0"), wire);
    assertEquals(cmd, SmtpCommand.parse(wire), wire);
  }

  /** Any string: a mailbox that round-trips through address() and toPath(), or the exception. */
  @FuzzTest(maxDuration = "60s")
  void mailboxParse(FuzzedDataProvider data) {
    boolean path = data.consumeBoolean();
    String s = data.consumeRemainingAsString();
    Mailbox m;
    try {
      m = path ? Mailbox.parsePath(s) : Mailbox.parse(s);
    } catch (InvalidAddressException e) {
      assertEquals(s, e.input());
      assertFalse(e.getMessage().contains("\r") || e.getMessage().contains("\n"));
      return;
    }
    assertEquals(m, Mailbox.parsePath(m.toPath()), m.toPath());
    if (!m.isNull()) {
      assertEquals(m, Mailbox.parse(m.address()), m.address());
    }
  }
}
