package org.relaymail.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A child process whose output is pumped by a thread; helpers for the Postfix launchers. */
final class ExternalProcess {
  private static final Logger LOG = LoggerFactory.getLogger(ExternalProcess.class);
  private static final int KEEP_LINES = 2000;

  private final Process process;
  private final Thread pump;
  private final Deque<String> tail = new ArrayDeque<>();

  ExternalProcess(List<String> command, Consumer<String> lineListener, String name)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    this.process = pb.start();
    process.getOutputStream().close();
    this.pump = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          synchronized (tail) {
            tail.addLast(line);
            if (tail.size() > KEEP_LINES) {
              tail.removeFirst();
            }
          }
          lineListener.accept(line);
        }
      } catch (IOException e) {
        LOG.debug("{} output ended: {}", name, e.toString());
      }
    }, name + "-output");
    pump.setDaemon(true);
    pump.start();
  }

  Process process() {
    return process;
  }

  List<String> outputTail() {
    synchronized (tail) {
      return List.copyOf(tail);
    }
  }

  /** Stops the process and its descendants: SIGTERM, then SIGKILL after the grace period. */
  void stop(Duration grace) {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("process {} did not stop in {}; killing it", process.pid(), grace);
        process.destroyForcibly();
        process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (ProcessHandle c : children) {
      if (c.isAlive()) {
        c.destroyForcibly();
      }
    }
    try {
      pump.join(grace.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Runs a command to completion; returns its output, or throws with the output on failure. */
  static String run(List<String> command, Duration timeout) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException("timed out after " + timeout + ": " + command + "\n" + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted: " + command, e);
    }
    if (p.exitValue() != 0) {
      throw new IOException("exit status " + p.exitValue() + ": " + command + "\n" + out);
    }
    return out;
  }

  static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  /**
   * Whether a TCP socket listens on the address and port, read from /proc/net/tcp{,6} so that
   * checking does not open a session on the server.
   */
  static boolean listening(InetAddress address, int port) throws IOException {
    boolean v4 = address instanceof Inet4Address;
    Path table = Path.of(v4 ? "/proc/net/tcp" : "/proc/net/tcp6");
    byte[] a = address.getAddress();
    StringBuilder hex = new StringBuilder();
    // /proc prints each 32-bit word in host (little-endian) byte order
    for (int w = 0; w < a.length; w += 4) {
      for (int i = 3; i >= 0; i--) {
        hex.append(String.format(Locale.ROOT, "%02X", a[w + i] & 0xff));
      }
    }
    String local = hex + ":" + String.format(Locale.ROOT, "%04X", port);
    String any = "0".repeat(hex.length()) + ":" + String.format(Locale.ROOT, "%04X", port);
    for (String line : Files.readAllLines(table)) {
      String[] f = line.trim().split("\\s+");
      if (f.length > 3 && f[3].equals("0A") && (f[1].equals(local) || f[1].equals(any))) {
        return true;
      }
    }
    return false;
  }

  /** Waits until the port listens; fails early with the output when the process exits. */
  void awaitListening(InetAddress address, int port, Duration timeout, String what)
      throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!listening(address, port)) {
      if (!process.isAlive()) {
        throw new IOException(what + " exited with status " + process.exitValue()
            + " before listening on " + address.getHostAddress() + ":" + port + ": "
            + outputTail());
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(what + " did not listen on " + address.getHostAddress() + ":"
            + port + " within " + timeout + ": " + outputTail());
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for " + what, e);
      }
    }
  }

  static void deleteTree(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
          Files.delete(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      LOG.warn("could not delete {}", root, e);
    }
  }
}
