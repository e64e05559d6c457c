package org.relaymail.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded random round trips over the codec. The seed list is fixed so the build is repeatable; a
 * failure names its seed, and a new seed can be tried by adding it to the list.
 */
class CodecRandomTest {
  private static final int ROUNDS = 400;

  private static final String ATEXT =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~";
  private static final String[] UNICODE = {"ö", "é", "ü", "用", "户", "ж", "π", "😀"};
  private static final String[] ULABELS = {"bücher", "例子", "münchen", "παράδειγμα", "пример"};

  private interface Body {
    void run(Random r, int round);
  }

  private static void withSeed(long seed, Body body) {
    Random r = new Random(seed);
    for (int round = 0; round < ROUNDS; round++) {
      try {
        body.run(r, round);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("seed=" + seed + " round=" + round + ": " + e.getMessage(), e);
      }
    }
  }

  // ------------------------------------------------------------------ generators

  static String localPart(Random r) {
    if (r.nextInt(6) == 0) {
      StringBuilder q = new StringBuilder("\"");
      int n = r.nextInt(12);
      for (int i = 0; i < n; i++) {
        int k = r.nextInt(10);
        if (k == 0) {
          q.append('\\').append((char) (32 + r.nextInt(95)));
        } else if (k == 1) {
          q.append(UNICODE[r.nextInt(UNICODE.length)]);
        } else {
          char c;
          do {
            c = (char) (32 + r.nextInt(95));
          } while (c == '"' || c == '\\');
          q.append(c);
        }
      }
      return q.append('"').toString();
    }
    StringBuilder b = new StringBuilder();
    int atoms = 1 + r.nextInt(3);
    for (int a = 0; a < atoms; a++) {
      if (a > 0) {
        b.append('.');
      }
      int n = 1 + r.nextInt(8);
      for (int i = 0; i < n; i++) {
        b.append(r.nextInt(12) == 0
            ? UNICODE[r.nextInt(UNICODE.length)]
            : String.valueOf(ATEXT.charAt(r.nextInt(ATEXT.length()))));
      }
    }
    return b.toString();
  }

  static String domain(Random r) {
    switch (r.nextInt(8)) {
      case 0:
        return "[" + r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256) + "."
            + r.nextInt(256) + "]";
      case 1: {
        List<String> g = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          g.add(Integer.toHexString(r.nextInt(0x10000)));
        }
        if (r.nextBoolean()) {
          int from = r.nextInt(7);
          int to = from + 2 + r.nextInt(7 - from);
          String left = String.join(":", g.subList(0, from));
          String right = String.join(":", g.subList(to, 8));
          return "[IPv6:" + left + "::" + right + "]";
        }
        return "[IPv6:" + String.join(":", g) + "]";
      }
      default: {
        StringBuilder b = new StringBuilder();
        int labels = 1 + r.nextInt(4);
        for (int l = 0; l < labels; l++) {
          if (l > 0) {
            b.append('.');
          }
          if (r.nextInt(6) == 0) {
            b.append(ULABELS[r.nextInt(ULABELS.length)]);
          } else {
            int n = 1 + r.nextInt(12);
            for (int i = 0; i < n; i++) {
              boolean edge = i == 0 || i == n - 1;
              String set = edge ? "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                  : "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";
              b.append(set.charAt(r.nextInt(set.length())));
            }
          }
        }
        return b.toString();
      }
    }
  }

  static Mailbox mailbox(Random r) {
    return Mailbox.parse(localPart(r) + "@" + domain(r));
  }

  static String printable(Random r, int max) {
    StringBuilder b = new StringBuilder();
    int n = 1 + r.nextInt(max);
    for (int i = 0; i < n; i++) {
      b.append((char) (0x20 + r.nextInt(0x5f)));
    }
    return b.toString();
  }

  static String word(Random r) {
    StringBuilder b = new StringBuilder();
    int n = 1 + r.nextInt(10);
    for (int i = 0; i < n; i++) {
      b.append((char) ('!' + r.nextInt(94)));
    }
    return b.toString();
  }

  static String base64(Random r) {
    byte[] b = new byte[r.nextInt(40)];
    r.nextBytes(b);
    return java.util.Base64.getEncoder().encodeToString(b);
  }

  static SmtpCommand command(Random r) {
    switch (r.nextInt(16)) {
      case 0: return SmtpCommand.ehlo(domain(r));
      case 1: return SmtpCommand.helo(domain(r));
      case 2: {
        MailParameters.Builder p = MailParameters.builder();
        if (r.nextBoolean()) {
          p.size(r.nextLong() & Long.MAX_VALUE);
        }
        if (r.nextBoolean()) {
          p.body(BodyType.values()[r.nextInt(3)]);
        }
        p.smtpUtf8(r.nextBoolean()).requireTls(r.nextBoolean());
        if (r.nextBoolean()) {
          p.ret(DsnReturn.values()[r.nextInt(2)]);
        }
        if (r.nextBoolean()) {
          p.envelopeId(printable(r, 30));
        }
        if (r.nextBoolean()) {
          p.auth(r.nextBoolean() ? "<>" : printable(r, 40));
        }
        return SmtpCommand.mail(r.nextInt(5) == 0 ? Mailbox.NULL : mailbox(r), p.build());
      }
      case 3: {
        RcptParameters.Builder p = RcptParameters.builder();
        if (r.nextBoolean()) {
          Set<DsnNotify> s = EnumSet.noneOf(DsnNotify.class);
          if (r.nextInt(4) == 0) {
            s.add(DsnNotify.NEVER);
          } else {
            for (DsnNotify n : List.of(DsnNotify.SUCCESS, DsnNotify.FAILURE, DsnNotify.DELAY)) {
              if (r.nextBoolean()) {
                s.add(n);
              }
            }
          }
          p.notifyOn(s);
        }
        if (r.nextBoolean()) {
          p.originalRecipient(r.nextBoolean() ? "rfc822" : "X-" + r.nextInt(99), printable(r, 60));
        }
        return SmtpCommand.rcpt(mailbox(r), p.build());
      }
      case 4: return SmtpCommand.data();
      case 5: return SmtpCommand.bdat(r.nextInt(3) == 0 ? r.nextLong() & Long.MAX_VALUE
          : r.nextInt(100000), r.nextBoolean());
      case 6: return SmtpCommand.rset();
      case 7: return SmtpCommand.noop();
      case 8: return SmtpCommand.quit();
      case 9: return SmtpCommand.vrfy(word(r) + (r.nextBoolean() ? " " + word(r) : ""));
      case 10: return SmtpCommand.expn(word(r));
      case 11: return r.nextBoolean() ? SmtpCommand.help() : SmtpCommand.help(word(r));
      case 12: return SmtpCommand.verbose();
      case 13: return SmtpCommand.starttls();
      case 14: return SmtpCommand.auth(r.nextBoolean() ? "PLAIN" : "X-" + word(r).replaceAll("[^A-Za-z0-9]", "Q").substring(0, 1));
      default: return SmtpCommand.auth("PLAIN", base64(r));
    }
  }

  static String randomCase(Random r, String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      b.append(r.nextBoolean() ? Character.toLowerCase(c) : Character.toUpperCase(c));
    }
    return b.toString();
  }

  // ------------------------------------------------------------------ properties

  @ParameterizedTest
  @ValueSource(longs = {1L, 42L, 20240601L, 0xC0FFEEL, -7L})
  void formatThenParseIsIdentityForEveryCommand(long seed) {
    withSeed(seed, (r, round) -> {
      SmtpCommand cmd = command(r);
      String line = cmd.toLine();
      assertEquals(cmd, SmtpCommand.parse(line), line);
      byte[] wire = cmd.encode();
      String decoded = new String(wire, StandardCharsets.UTF_8);
      assertEquals(line + "\r\n", decoded);
      assertEquals(2, decoded.length() - decoded.replace("\r", "").replace("\n", "").length());
      // the verb is case-insensitive for a server
      int sp = line.indexOf(' ');
      String verb = sp < 0 ? line : line.substring(0, sp);
      assertEquals(cmd, SmtpCommand.parse(randomCase(r, verb) + line.substring(verb.length())));
    });
  }

  @ParameterizedTest
  @ValueSource(longs = {3L, 99L, 31337L, 0xDEADBEEFL, 123456789L})
  void generatedAddressesRoundTrip(long seed) {
    withSeed(seed, (r, round) -> {
      Mailbox m = mailbox(r);
      assertEquals(m, Mailbox.parse(m.address()), m.address());
      assertEquals(m, Mailbox.parsePath(m.toPath()), m.toPath());
      assertEquals(m, Mailbox.parse(m.localPart() + "@" + m.asciiDomain()));
      assertEquals(m, Mailbox.parse(m.localPart() + "@" + m.unicodeDomain()));
      assertEquals(m, Mailbox.parse(m.localPart() + "@" + randomCase(r, m.domain())));
      assertEquals(m.hashCode(), Mailbox.parse(m.localPart() + "@" + m.asciiDomain()).hashCode());
    });
  }

  @ParameterizedTest
  @ValueSource(longs = {5L, 77L, 8675309L})
  void anythingWithCrLfNulIsRejected(long seed) {
    String[] bad = {"\r", "\n", "\0", "\r\n", "\r\n.\r\n"};
    withSeed(seed, (r, round) -> {
      String evil = bad[r.nextInt(bad.length)];
      String local = localPart(r);
      String dom = domain(r);
      String address = local + "@" + dom;
      int at = r.nextInt(address.length() + 1);
      String injected = address.substring(0, at) + evil + address.substring(at);
      assertThrows(InvalidAddressException.class, () -> Mailbox.parse(injected), injected);
      assertThrows(InvalidAddressException.class, () -> Mailbox.parsePath("<" + injected + ">"));
      List<Function<String, ?>> factories = List.of(
          SmtpCommand::ehlo, SmtpCommand::helo, SmtpCommand::vrfy, SmtpCommand::expn,
          SmtpCommand::help, SmtpCommand::auth, s -> SmtpCommand.auth("PLAIN", s),
          s -> MailParameters.builder().envelopeId(s), s -> MailParameters.builder().auth(s),
          s -> RcptParameters.builder().originalRecipient("rfc822", s));
      String word = word(r);
      int p = r.nextInt(word.length() + 1);
      String w = word.substring(0, p) + evil + word.substring(p);
      for (Function<String, ?> f : factories) {
        assertThrows(IllegalArgumentException.class, () -> f.apply(w), w);
      }
      // a valid command line with CR/LF/NUL inserted is refused by the server-side parser
      String line = command(r).toLine();
      int q = r.nextInt(line.length() + 1);
      String evilLine = line.substring(0, q) + evil + line.substring(q);
      SmtpSyntaxException e = assertThrows(SmtpSyntaxException.class, () -> SmtpCommand.parse(evilLine));
      assertEquals(500, e.reply().code());
    });
  }

  @ParameterizedTest
  @ValueSource(longs = {11L, 2024L, 65537L})
  void repliesSurviveRandomChunking(long seed) {
    withSeed(seed, (r, round) -> {
      List<SmtpReply> replies = new ArrayList<>();
      java.io.ByteArrayOutputStream wire = new java.io.ByteArrayOutputStream();
      int n = 1 + r.nextInt(5);
      for (int i = 0; i < n; i++) {
        int code = (2 + r.nextInt(4)) * 100 + r.nextInt(6) * 10 + r.nextInt(10);
        List<String> lines = new ArrayList<>();
        int k = 1 + r.nextInt(4);
        for (int j = 0; j < k; j++) {
          lines.add(r.nextInt(5) == 0 ? "" : printable(r, 40).strip());
        }
        SmtpReply reply = SmtpReply.of(code, lines);
        replies.add(reply);
        wire.writeBytes(reply.encode());
      }
      byte[] b = wire.toByteArray();
      ReplyDecoder d = new ReplyDecoder();
      List<SmtpReply> out = new ArrayList<>();
      int pos = 0;
      while (pos < b.length) {
        int len = Math.min(b.length - pos, r.nextInt(8));
        out.addAll(d.feed(b, pos, len));
        pos += len;
      }
      if (!replies.equals(out)) {
        fail("expected " + replies + " got " + out);
      }
    });
  }
}
