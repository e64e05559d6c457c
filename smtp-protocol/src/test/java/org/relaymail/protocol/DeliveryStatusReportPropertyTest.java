package org.relaymail.protocol;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.relaymail.protocol.RecipientStatus.Action;

/** Seeded random build-then-parse round trips of {@link DeliveryStatusReport}; the seed is in every message. */
class DeliveryStatusReportPropertyTest {
  private static final int CASES_PER_SEED = 60;

  static java.util.stream.LongStream seeds() {
    return MessageDataPropertyTest.seeds();
  }

  static String word(Random random, int max) {
    String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789<>:;.,'()[]-_=?!/\"";
    StringBuilder b = new StringBuilder();
    int n = random.nextInt(max + 1);
    for (int i = 0; i < n; i++) {
      b.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return b.toString();
  }

  static String replyLine(Random random) {
    List<String> words = new ArrayList<>();
    for (int i = random.nextInt(6); i > 0; i--) {
      String w = word(random, 8);
      if (!w.isEmpty()) {
        words.add(w);
      }
    }
    return String.join(random.nextBoolean() ? " " : "  ", words);
  }

  static OffsetDateTime time(Random random) {
    return OffsetDateTime.of(2020 + random.nextInt(10), 1 + random.nextInt(12), 1 + random.nextInt(28),
        random.nextInt(24), random.nextInt(60), random.nextInt(60), random.nextInt(1_000_000_000),
        ZoneOffset.ofHoursMinutes(random.nextInt(25) - 12, 0));
  }

  static RecipientStatus recipient(Random random) {
    Action action = Action.values()[random.nextInt(Action.values().length)];
    int cls = action == Action.FAILED ? 5 : action == Action.DELAYED ? 4 : 2;
    RecipientStatus.Builder b = RecipientStatus.builder(
        Mailbox.parse("user" + random.nextInt(1000) + "@d" + random.nextInt(50) + ".example"),
        action, EnhancedStatus.of(cls, random.nextInt(8), random.nextInt(10)));
    if (random.nextBoolean()) {
      b.originalRecipient(Mailbox.parse("orig" + random.nextInt(1000) + "@example.com"));
    }
    if (random.nextBoolean()) {
      b.remoteMta("mx" + random.nextInt(9) + ".example.net");
    }
    if (random.nextBoolean()) {
      int code = cls * 100 + random.nextInt(60);
      List<String> lines = new ArrayList<>();
      for (int i = 1 + random.nextInt(3); i > 0; i--) {
        lines.add(random.nextBoolean() ? cls + ".1.1 " + replyLine(random) : replyLine(random));
      }
      b.diagnosticCode(SmtpReply.of(code, lines));
    }
    if (random.nextBoolean()) {
      b.lastAttemptDate(time(random));
    }
    if (action == Action.DELAYED && random.nextBoolean()) {
      b.willRetryUntil(time(random));
    }
    return b.build();
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void buildThenParseRoundTrips(long seed) {
    Random random = new Random(seed);
    for (int n = 0; n < CASES_PER_SEED; n++) {
      String what = "seed " + seed + ", case " + n;
      boolean global = random.nextInt(4) == 0;
      List<RecipientStatus> recipients = new ArrayList<>();
      for (int i = 1 + random.nextInt(4); i > 0; i--) {
        recipients.add(recipient(random));
      }
      StringBuilder text = new StringBuilder();
      for (int i = random.nextInt(4); i > 0; i--) {
        text.append(replyLine(random)).append(random.nextBoolean() ? " grüße" : "")
            .append(new String[] {"\n", "\r\n", "\r", ""}[random.nextInt(4)]);
      }
      byte[] original = ("Subject: " + replyLine(random) + "\r\nFrom: a@example.com\r\n\r\n"
          + replyLine(random) + "\r\n").getBytes(UTF_8);
      DeliveryStatusReport.Builder b = DeliveryStatusReport.builder()
          .from(Mailbox.parse("postmaster@relay.example.com"))
          .reportingMta("relay.example.com")
          .date(time(random))
          .humanReadableText(text.toString())
          .global(global);
      recipients.forEach(b::addRecipient);
      if (random.nextBoolean()) {
        b.originalEnvelopeId("env" + random.nextInt(100000));
      }
      if (random.nextBoolean()) {
        b.arrivalDate(time(random));
      }
      switch (random.nextInt(3)) {
        case 0:
          b.returnHeaders(original);
          break;
        case 1:
          b.returnMessage(original);
          break;
        default:
          b.returnNothing();
      }
      byte[] bytes = b.build();
      assertTrue(MessageNormalizer.isCanonical(bytes), "canonical: " + what);
      if (!global) {
        for (byte x : bytes) {
          assertTrue(x >= 0, "7-bit: " + what);
        }
      }
      DeliveryStatusReport r = DeliveryStatusReport.parse(bytes);
      assertEquals(recipients, r.recipients(), what);
      assertEquals(global, r.isGlobal(), what);
      assertEquals(new String(MessageNormalizer.normalize(text.toString().getBytes(UTF_8), Integer.MAX_VALUE), UTF_8),
          r.humanReadableText(), what);
      assertArrayEquals(bytes, r.toBuilder().build(), "value rebuilds the same bytes: " + what);
    }
  }
}
