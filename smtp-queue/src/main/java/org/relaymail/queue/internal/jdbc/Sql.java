package org.relaymail.queue.internal.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** JDBC helpers for the PostgreSQL store: time binding, arrays, the schema script. Stateless. */
public final class Sql {
  private Sql() {}

  /** The resource holding the version 1 schema. */
  public static final String SCHEMA_RESOURCE = "/org/relaymail/queue/jdbc/schema-v1.sql";

  /** The schema version this code reads and writes. */
  public static final int SCHEMA_VERSION = 1;

  /**
   * The lease clock's "now" in SQL: the bound caller time, or the database's transaction time when
   * the bound value is null.
   */
  public static final String LEASE_NOW = "coalesce(CAST(? AS timestamptz), now())";

  /**
   * Binds an instant (or SQL NULL) as {@code timestamptz}.
   *
   * @param ps the statement
   * @param i the parameter index
   * @param t the time, or null
   * @throws SQLException on a driver error
   */
  public static void setTime(PreparedStatement ps, int i, Instant t) throws SQLException {
    if (t == null) {
      ps.setNull(i, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      ps.setObject(i, OffsetDateTime.ofInstant(t, ZoneOffset.UTC));
    }
  }

  /**
   * Reads a {@code timestamptz} column.
   *
   * @param rs the row
   * @param column the column
   * @return the time, or null
   * @throws SQLException on a driver error
   */
  public static Instant time(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  /**
   * Reads an optional {@code timestamptz} column.
   *
   * @param rs the row
   * @param column the column
   * @return the time
   * @throws SQLException on a driver error
   */
  public static Optional<Instant> optTime(ResultSet rs, String column) throws SQLException {
    return Optional.ofNullable(time(rs, column));
  }

  /**
   * Reads a {@code text[]} column.
   *
   * @param rs the row
   * @param column the column
   * @return the strings, or null for SQL NULL
   * @throws SQLException on a driver error
   */
  public static List<String> strings(ResultSet rs, String column) throws SQLException {
    Array a = rs.getArray(column);
    if (a == null) {
      return null;
    }
    try {
      Object[] values = (Object[]) a.getArray();
      List<String> out = new ArrayList<>(values.length);
      for (Object v : values) {
        out.add((String) v);
      }
      return out;
    } finally {
      a.free();
    }
  }

  /**
   * Creates a {@code text[]} value.
   *
   * @param c the connection
   * @param values the strings
   * @return the array
   * @throws SQLException on a driver error
   */
  public static Array textArray(Connection c, List<String> values) throws SQLException {
    return c.createArrayOf("text", values.toArray(new String[0]));
  }

  /**
   * Creates a {@code bigint[]} value.
   *
   * @param c the connection
   * @param values the numbers
   * @return the array
   * @throws SQLException on a driver error
   */
  public static Array bigintArray(Connection c, long[] values) throws SQLException {
    Long[] boxed = new Long[values.length];
    for (int i = 0; i < values.length; i++) {
      boxed[i] = values[i];
    }
    return c.createArrayOf("bigint", boxed);
  }

  /**
   * The schema script's statements, split at lines holding only ";".
   *
   * @return the statements
   * @throws IOException if the resource is missing
   */
  public static List<String> schemaStatements() throws IOException {
    String text = schemaText();
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      if (line.strip().equals(";")) {
        addStatement(out, cur);
        cur.setLength(0);
      } else if (!line.strip().startsWith("--")) {
        cur.append(line).append('\n');
      }
    }
    addStatement(out, cur);
    return out;
  }

  private static void addStatement(List<String> out, StringBuilder cur) {
    String s = cur.toString().strip();
    if (!s.isEmpty()) {
      out.add(s);
    }
  }

  /**
   * The schema script as shipped.
   *
   * @return the SQL text
   * @throws IOException if the resource is missing
   */
  public static String schemaText() throws IOException {
    try (InputStream in = Sql.class.getResourceAsStream(SCHEMA_RESOURCE)) {
      if (in == null) {
        throw new IOException("schema resource " + SCHEMA_RESOURCE + " is missing from the smtp-queue jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
