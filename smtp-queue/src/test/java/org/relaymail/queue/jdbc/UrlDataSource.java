package org.relaymail.queue.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/** A plain, unpooled data source over a JDBC URL (every call opens a new connection). Thread-safe. */
public final class UrlDataSource extends BasicDataSource {
  private final String url;

  /**
   * @param url the JDBC URL with credentials
   */
  public UrlDataSource(String url) {
    this.url = url;
  }

  @Override
  public Connection getConnection() throws SQLException {
    return DriverManager.getConnection(url);
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    return DriverManager.getConnection(url, username, password);
  }

  @Override
  public String toString() {
    return url;
  }
}
