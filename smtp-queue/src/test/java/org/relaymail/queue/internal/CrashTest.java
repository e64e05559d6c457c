package org.relaymail.queue.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.relaymail.queue.FileQueueStore;
import org.relaymail.queue.QueueCounts;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuePage;
import org.relaymail.queue.QueueQuery;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.queue.RecipientRecord;
import org.relaymail.queue.RecipientState;
import org.relaymail.queue.KilledChild;

/**
 * Kills a child JVM working a {@link FileQueueStore} with SIGKILL at random moments, at least 20
 * times, restarting it on the same spool each time; then checks that every acknowledged message is
 * there (or was acknowledged as completed), none is corrupt, and recipient states never went back.
 * {@code kill -9} keeps the page cache, so this proves the recovery logic and the lock release, not
 * the fsync; the power-loss storage tests prove the fsync.
 */
class CrashTest {
  private static final long SEED = 20260105L;
  private static final int KILLS = 22;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  private static final class Seen {
    long tag;
    final Map<String, RecipientState> states = new HashMap<>();
    boolean completing;
    boolean done;
  }

  @Test
  void everyAcknowledgedMessageSurvivesRepeatedKill9() throws Exception {
    Path spool = dir.resolve("spool");
    Random rnd = new Random(SEED);
    Map<String, Seen> seen = new HashMap<>();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    int lines = 0;
    for (int run = 0; run < KILLS; run++) {
      ProcessBuilder pb = new ProcessBuilder(java, "-Xmx96m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
          "-cp", classPath, CrashWorker.class.getName(), spool.toString(), Long.toString(SEED + run),
          Long.toString(run * 1_000_000L));
      // stdout goes to a file, not a pipe: the kernel keeps every byte the child wrote before SIGKILL,
      // while a pipe read through java.lang.Process may lose the last lines when the child dies
      Path stdout = dir.resolve("child-" + run + ".out");
      pb.redirectError(dir.resolve("child-" + run + ".err").toFile());
      int target = 5 + rnd.nextInt(120);
      Process p = KilledChild.startAndAwait(pb, stdout, target, Duration.ofSeconds(60));
      assertTrue(p.isAlive(), "the worker died by itself in run " + run + ": " + Files.readString(dir.resolve("child-" + run + ".err")));
      assertTrue(KilledChild.completeLines(stdout).size() >= target, "the worker made too little progress in run " + run);
      p.destroyForcibly();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the killed worker did not exit");
      List<String> got = KilledChild.completeLines(stdout);
      for (String line : got) {
        if (!line.startsWith("READY")) {
          record(seen, line);
        }
      }
      lines += got.size();
    }
    assertTrue(seen.size() > KILLS, "too little work to prove anything: " + seen.size() + " messages");

    Instant now = Instant.now();
    try (FileQueueStore store = FileQueueStore.builder(spool).segmentSize(256 * 1024).minFreeBytes(0).open()) {
      int present = 0;
      for (Map.Entry<String, Seen> e : seen.entrySet()) {
        Seen s = e.getValue();
        Optional<QueuedMessage> m = store.find(new QueueId(e.getKey()), now);
        if (s.done) {
          assertTrue(m.isEmpty(), "completed message came back: " + e.getKey());
          continue;
        }
        if (s.completing && m.isEmpty()) {
          continue; // killed after complete() made the removal durable, before DONE was printed
        }
        assertTrue(m.isPresent(), "acknowledged message lost: " + e.getKey() + " (tag " + s.tag + ", states " + s.states + ", completing " + s.completing + "), spool kept in " + spool);
        present++;
        try (InputStream in = store.openContent(m.get().id())) {
          assertArrayEquals(CrashWorker.content(s.tag), in.readAllBytes(), "content of " + e.getKey());
        }
        for (RecipientRecord r : m.get().recipients()) {
          RecipientState acked = s.states.get(r.mailbox().address());
          if (acked != null && acked.isFinal()) {
            assertEquals(acked, r.state(), "recipient " + r.mailbox() + " of " + e.getKey() + " went back");
          } else if (acked == RecipientState.DEFERRED) {
            assertTrue(r.state() != RecipientState.PENDING, "recipient " + r.mailbox() + " of " + e.getKey() + " went back");
          }
        }
      }
      // every stored message, acknowledged or not, reads back without a checksum error
      Set<QueueId> all = new HashSet<>();
      Optional<QueueId> cursor = Optional.empty();
      do {
        QueueQuery.Builder q = QueueQuery.builder().limit(500);
        cursor.ifPresent(q::after);
        QueuePage page = store.list(q.build(), now);
        for (QueuedMessage m : page.messages()) {
          all.add(m.id());
          try (InputStream in = store.openContent(m.id())) {
            assertEquals(m.size(), in.readAllBytes().length, "size of " + m.id());
          }
        }
        cursor = page.next();
      } while (cursor.isPresent());
      QueueCounts counts = store.counts(now);
      assertEquals(all.size(), counts.messages(), "counts add up");
      long rcpts = counts.recipientsByState().values().stream().mapToLong(Long::longValue).sum();
      assertTrue(rcpts >= all.size(), "every message has recipients");
      assertTrue(present <= all.size(), "acknowledged and not completed messages are among the stored ones");
    }
    System.out.println("crash test: " + KILLS + " kills, " + lines + " acknowledged changes, " + seen.size() + " messages");
  }

  /** The lines of the child's stdout that are complete (a line cut by the kill is not acknowledged). */


  private static void record(Map<String, Seen> seen, String line) {
    String[] f = line.split(" ");
    switch (f[0]) {
      case "ACK" -> {
        Seen s = new Seen();
        s.tag = Long.parseLong(f[2]);
        seen.put(f[1], s);
      }
      case "REC" -> {
        Seen s = seen.get(f[1]);
        if (s != null) {
          for (int i = 2; i < f.length - 1; i++) {
            String[] kv = f[i].split("=");
            s.states.put(kv[0], RecipientState.valueOf(kv[1]));
          }
        }
      }
      case "COMPLETING" -> {
        Seen s = seen.get(f[1]);
        if (s != null) {
          s.completing = true;
        }
      }
      case "DONE" -> {
        Seen s = seen.get(f[1]);
        if (s != null) {
          s.done = true;
        }
      }
      default -> throw new AssertionError("unexpected line from the worker: " + line);
    }
  }
}
