package org.relaymail.queue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The child JVM of a kill -9 test ({@code CrashTest}, {@code JdbcCrashTest}): its standard output
 * goes to a file, not a pipe, because the file keeps every byte the child wrote before SIGKILL,
 * while {@link Process#destroyForcibly()} closes the parent's end of a pipe and loses the lines not
 * read yet. The child ends each acknowledged line with {@code " ."}, so a line cut by the kill is
 * recognised. Not thread-safe; a test helper.
 */
public final class KilledChild {
  private KilledChild() {}

  /**
   * Starts the child with its standard output in {@code stdout} and waits until it printed {@code
   * target} complete lines other than {@code READY}, died, or {@code limit} passed.
   *
   * @param pb the child's command (standard error already redirected as the caller wants)
   * @param stdout the file for its standard output
   * @param target complete lines to wait for
   * @param limit the longest wait
   * @return the running (or dead) child
   * @throws IOException if the child cannot start
   * @throws InterruptedException if interrupted
   */
  public static Process startAndAwait(ProcessBuilder pb, Path stdout, int target, Duration limit)
      throws IOException, InterruptedException {
    pb.redirectOutput(stdout.toFile());
    Path dir = stdout.toAbsolutePath().getParent();
    try (WatchService ws = dir.getFileSystem().newWatchService()) {
      dir.register(ws, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
      Process p = pb.start();
      long deadline = System.nanoTime() + limit.toNanos();
      while (changes(stdout).size() < target && System.nanoTime() < deadline && p.isAlive()) {
        WatchKey key = ws.poll(200, TimeUnit.MILLISECONDS); // wakes on the child's next write
        if (key != null) {
          key.pollEvents();
          key.reset();
        }
      }
      return p;
    }
  }

  /**
   * @param stdout the child's standard output file
   * @return its complete lines (ending with {@code " ."}), {@code READY} lines included
   * @throws IOException if the file cannot be read
   */
  public static List<String> completeLines(Path stdout) throws IOException {
    List<String> out = new ArrayList<>();
    if (!Files.exists(stdout)) {
      return out;
    }
    for (String line : Files.readString(stdout, StandardCharsets.UTF_8).split("\n", -1)) {
      if (line.endsWith(" .")) {
        out.add(line);
      }
    }
    return out;
  }

  /**
   * @param stdout the child's standard output file
   * @return its complete lines other than {@code READY}: the acknowledged changes
   * @throws IOException if the file cannot be read
   */
  public static List<String> changes(Path stdout) throws IOException {
    return completeLines(stdout).stream().filter(l -> !l.startsWith("READY")).toList();
  }
}
