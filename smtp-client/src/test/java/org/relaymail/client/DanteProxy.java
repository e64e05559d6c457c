package org.relaymail.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.relaymail.testsupport.Loopback;

/**
 * A private Dante SOCKS 5 server ({@code danted}, Debian package dante-server) on a loopback port,
 * with its own configuration file: no authentication, listening on 127.0.0.1, connecting out from
 * a given loopback address (so that a peer can tell a proxied connection from a direct one), to
 * 127.0.0.1 only (every other destination is refused by its rules).
 * {@link #close()} stops it and its children. Runs as root only ({@code user.privileged: root}).
 */
final class DanteProxy implements AutoCloseable {
  static final Path PROGRAM = Path.of("/usr/sbin/danted");

  private final Path dir;
  private final Process process;
  private final int port;
  private final List<String> output = Collections.synchronizedList(new ArrayList<>());

  private DanteProxy(InetAddress external) throws IOException {
    dir = Files.createTempDirectory("relaymail-dante");
    port = Loopback.freePort(Loopback.v4(1));
    Path conf = dir.resolve("danted.conf");
    Files.writeString(conf, String.join("\n",
        "logoutput: stderr",
        "internal: 127.0.0.1 port = " + port,
        "external: " + external.getHostAddress(),
        "clientmethod: none",
        "socksmethod: none",
        "user.privileged: root",
        "user.unprivileged: nobody",
        "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }",
        "socks pass { from: 127.0.0.0/8 to: 127.0.0.1/32 command: connect }",
        "socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 }",
        ""));
    process = new ProcessBuilder(PROGRAM.toString(), "-f", conf.toString(),
        "-p", dir.resolve("danted.pid").toString(), "-N", "1")
        .redirectErrorStream(true).start();
    process.getOutputStream().close();
    CountDownLatch running = new CountDownLatch(1);
    Thread pump = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          output.add(line);
          if (line.contains(" running")) {
            running.countDown();
          }
        }
      } catch (IOException e) {
        output.add("output ended: " + e);
      } finally {
        running.countDown(); // it exited: start() sees that
      }
    }, "danted-output");
    pump.setDaemon(true);
    pump.start();
    try {
      if (!running.await(30, TimeUnit.SECONDS) || !process.isAlive()) {
        close();
        throw new IOException("danted did not start: " + output());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new IOException("interrupted while starting danted", e);
    }
  }

  /**
   * Why Dante cannot run here, for a skip message.
   *
   * @return the reason, empty when it can
   */
  static Optional<String> unavailableReason() {
    if (!Files.isExecutable(PROGRAM)) {
      return Optional.of(PROGRAM + " is not installed (Debian package dante-server)");
    }
    if (!"root".equals(System.getProperty("user.name"))) {
      return Optional.of("danted with user.privileged: root needs the tests to run as root");
    }
    return Optional.empty();
  }

  /**
   * Starts a proxy whose outgoing connections come from {@code external}.
   *
   * @param external a loopback address
   * @return the running proxy
   * @throws IOException if it does not start
   */
  static DanteProxy start(InetAddress external) throws IOException {
    return new DanteProxy(external);
  }

  /** @return the proxy as a {@link Proxy} for a route */
  Proxy proxy() {
    return new Proxy(Proxy.Type.SOCKS, new InetSocketAddress("127.0.0.1", port));
  }

  /** @return what danted printed so far */
  List<String> output() {
    synchronized (output) {
      return List.copyOf(output);
    }
  }

  @Override
  public void close() {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (ProcessHandle c : children) {
      c.destroyForcibly();
    }
    for (ProcessHandle c : children) {
      c.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> c).join();
    }
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.deleteIfExists(p);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      output.add("cleanup failed: " + e);
    }
  }
}
