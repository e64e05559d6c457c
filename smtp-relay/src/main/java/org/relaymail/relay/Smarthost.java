package org.relaymail.relay;

import java.util.Objects;
import java.util.Optional;

/**
 * A relay host that takes mail for other domains (a "relayhost"): no MX lookup, its name resolved
 * to addresses (A/AAAA) or given as an IP address. By default TLS is required and verified, and
 * when credentials are set AUTH is required too (RFC 4954): a server that does not offer it fails
 * the attempt.
 *
 * <p>Thread-safe (immutable). {@link #toString()} never shows the password.
 *
 * @param host the host name or IP address (IPv6 without brackets)
 * @param port the TCP port, 1 to 65535 (587 for submission, 465 with {@link TlsPolicy#IMPLICIT})
 * @param tls the TLS policy
 * @param username the AUTH user name, empty for no AUTH
 * @param password the AUTH password, empty exactly when the user name is
 */
public record Smarthost(
    String host, int port, TlsPolicy tls, Optional<String> username, Optional<String> password) {

  /**
   * Validates.
   *
   * @throws IllegalArgumentException for a blank host or CR/LF in it, a port outside 1..65535, or
   *     a user name without password (or the reverse)
   */
  public Smarthost {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
    if (host.isBlank() || host.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
      throw new IllegalArgumentException("smarthost host must be a name or address: '" + host + "'");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("smarthost port must be 1..65535: " + port);
    }
    if (username.isPresent() != password.isPresent()) {
      throw new IllegalArgumentException("smarthost user name and password go together");
    }
  }

  /**
   * Returns a smarthost without AUTH, with required and verified TLS.
   *
   * @param host the host name or IP address
   * @param port the port
   * @return the smarthost
   */
  public static Smarthost of(String host, int port) {
    return new Smarthost(host, port, TlsPolicy.REQUIRED_VERIFIED, Optional.empty(), Optional.empty());
  }

  /**
   * Returns a copy that authenticates with these credentials (AUTH then required).
   *
   * @param user the user name
   * @param pass the password
   * @return the new smarthost
   */
  public Smarthost withCredentials(String user, String pass) {
    return new Smarthost(host, port, tls, Optional.of(user), Optional.of(pass));
  }

  /**
   * Returns a copy with another TLS policy.
   *
   * @param policy the policy
   * @return the new smarthost
   */
  public Smarthost withTls(TlsPolicy policy) {
    return new Smarthost(host, port, policy, username, password);
  }

  @Override
  public String toString() {
    return "smarthost "
        + (host.indexOf(':') >= 0 ? "[" + host + "]" : host)
        + ":"
        + port
        + " tls="
        + tls
        + username.map(u -> " auth=" + u).orElse("");
  }
}
