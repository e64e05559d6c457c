package org.relaymail.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relaymail.testsupport.ReceivedMessage;
import org.relaymail.testsupport.ScriptedSmtpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kill -9 of a child JVM running a RelayClient on a FileQueueStore, several times at random moments
 * (fixed seed); after a final restart every message that send() accepted ends delivered: none lost.
 * Duplicates are possible after a crash (at-least-once) and are counted, not forbidden.
 */
class RelayCrashTest {
  private static final Logger LOG = LoggerFactory.getLogger(RelayCrashTest.class);
  private static final long SEED = 20250602L;
  private static final Pattern SUBJECT = Pattern.compile("Subject: (crash-\\d+)");

  @Test
  void everyAcceptedMessageIsDeliveredAfterKills(@TempDir Path dir) throws Exception {
    Random random = new Random(SEED);
    Path spool = dir.resolve("spool");
    Path accepted = dir.resolve("accepted.txt");
    Files.createFile(accepted);
    try (RelayHarness h = new RelayHarness()) {
      h.mx("example.test", 2);
      ScriptedSmtpServer mx = h.server(2, b -> {});
      int kills = 5;
      int next = 0;
      for (int k = 0; k < kills; k++) {
        int before = lines(accepted).size();
        int wanted = before + 20 + random.nextInt(200);
        Process child = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                RelayCrashWorker.class.getName(),
                spool.toString(), Integer.toString(h.dns.port()), Integer.toString(h.mxPort),
                Integer.toString(next), accepted.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child-" + k + ".log").toFile())
            .start();
        try {
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
          while (lines(accepted).size() < wanted) {
            if (!child.isAlive()) {
              throw new AssertionError("child " + k + " exited with " + child.exitValue() + ": "
                  + Files.readString(dir.resolve("child-" + k + ".log")) + " (seed " + SEED + ")");
            }
            if (System.nanoTime() > deadline) {
              throw new AssertionError("child " + k + " accepted too little (seed " + SEED + ")");
            }
            child.waitFor(5, TimeUnit.MILLISECONDS);
          }
        } finally {
          child.destroyForcibly(); // SIGKILL
          assertTrue(child.waitFor(60, TimeUnit.SECONDS));
        }
        next += 1_000_000;
      }
      List<String> acceptedSubjects = lines(accepted);
      // restart on the same spool and let it drain
      RelayClient drain = h.start(h.relay().spoolDirectory(spool).clock(Clock.systemUTC()).leaseDuration(Duration.ofSeconds(5)));
      RecordingListener.await("an empty spool", Duration.ofSeconds(180), () -> {
        try {
          return drain.counts().messages() == 0 && drain.deliveriesInFlight() == 0;
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      Map<String, Integer> got = new HashMap<>();
      for (ReceivedMessage m : mx.messages()) {
        Matcher matcher = SUBJECT.matcher(m.contentAsString());
        assertTrue(matcher.find(), m.contentAsString());
        got.merge(matcher.group(1), 1, Integer::sum);
      }
      List<String> lost = new ArrayList<>();
      for (String s : acceptedSubjects) {
        if (!got.containsKey(s)) {
          lost.add(s);
        }
      }
      long duplicates = got.values().stream().filter(c -> c > 1).count();
      LOG.info("crash test: {} kills, {} messages accepted, {} delivered (some sent before a kill without being "
          + "recorded as accepted), {} delivered more than once", kills, acceptedSubjects.size(), got.size(), duplicates);
      assertEquals(List.of(), lost, "accepted by send() but never delivered (seed " + SEED + ")");
    }
  }

  private static List<String> lines(Path p) throws java.io.IOException {
    String s = Files.readString(p, StandardCharsets.US_ASCII);
    // a line cut by the kill has no newline yet: it was not fully recorded
    s = s.substring(0, s.lastIndexOf('\n') + 1);
    List<String> out = new ArrayList<>();
    for (String line : s.split("\n")) {
      if (line.startsWith("crash-")) {
        out.add(line);
      }
    }
    return out;
  }
}
