package org.relaymail.client;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What a connection authenticates with (SMTP AUTH, RFC 4954): a user name with either a password
 * (mechanisms PLAIN RFC 4616, LOGIN, CRAM-MD5 RFC 2195) or an OAuth 2.0 access token supplier
 * (XOAUTH2). {@link #toString()} never shows the secret.
 *
 * <p>Equality is the <em>identity</em> (user name and kind), which is what a {@link Route} is keyed
 * by; the secret is not compared.
 *
 * <p>Thread-safe (immutable; the token supplier must be thread-safe itself).
 */
public final class Credentials {
  /** The SASL mechanisms this client implements. */
  public static final Set<String> SUPPORTED_MECHANISMS =
      Collections.unmodifiableSet(
          new LinkedHashSet<>(Arrays.asList("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2")));

  private final String username;
  private final char[] password;
  private final Supplier<String> tokenSupplier;
  private final Set<String> mechanisms;

  private Credentials(
      String username, char[] password, Supplier<String> tokenSupplier, Set<String> mechanisms) {
    this.username = username;
    this.password = password;
    this.tokenSupplier = tokenSupplier;
    this.mechanisms = mechanisms;
  }

  /**
   * A user name and password, usable with PLAIN, LOGIN and CRAM-MD5.
   *
   * @param username the user name (UTF-8 on the wire), not empty
   * @param password the password (UTF-8 on the wire); the array is copied
   * @return the credentials
   * @throws IllegalArgumentException if the user name is empty or contains a NUL
   */
  public static Credentials password(String username, char[] password) {
    checkUser(username);
    Objects.requireNonNull(password, "password");
    return new Credentials(
        username, password.clone(), null, Set.of("PLAIN", "LOGIN", "CRAM-MD5"));
  }

  /**
   * A user name and password, usable with PLAIN, LOGIN and CRAM-MD5.
   *
   * @param username the user name, not empty
   * @param password the password
   * @return the credentials
   */
  public static Credentials password(String username, String password) {
    Objects.requireNonNull(password, "password");
    return password(username, password.toCharArray());
  }

  /**
   * A user name and an OAuth 2.0 bearer token for the XOAUTH2 mechanism. The supplier is called
   * for every authentication, so it can refresh the token.
   *
   * @param username the user name (e-mail address), not empty
   * @param tokenSupplier gives the current access token
   * @return the credentials
   */
  public static Credentials xoauth2(String username, Supplier<String> tokenSupplier) {
    checkUser(username);
    Objects.requireNonNull(tokenSupplier, "tokenSupplier");
    return new Credentials(username, null, tokenSupplier, Set.of("XOAUTH2"));
  }

  private static void checkUser(String username) {
    Objects.requireNonNull(username, "username");
    if (username.isEmpty() || username.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          "user name must be non-empty and contain no NUL character: '" + username + "'");
    }
  }

  /**
   * Restricts the mechanisms this client may choose from.
   *
   * @param allowed mechanism names, a subset of what the credentials' kind supports
   * @return new credentials with the restriction
   * @throws IllegalArgumentException if a name is not usable with these credentials
   */
  public Credentials withMechanisms(String... allowed) {
    Set<String> set = new LinkedHashSet<>();
    for (String m : allowed) {
      String upper = m.toUpperCase(Locale.ROOT);
      if (!mechanisms.contains(upper)) {
        throw new IllegalArgumentException(
            "mechanism " + m + " is not usable with these credentials; allowed: " + mechanisms);
      }
      set.add(upper);
    }
    if (set.isEmpty()) {
      throw new IllegalArgumentException("at least one mechanism is required");
    }
    return new Credentials(username, password, tokenSupplier, Collections.unmodifiableSet(set));
  }

  /** @return the user name */
  public String username() {
    return username;
  }

  /** @return the mechanisms these credentials may be used with */
  public Set<String> mechanisms() {
    return mechanisms;
  }

  /** @return whether these are OAuth 2.0 token credentials */
  public boolean isToken() {
    return tokenSupplier != null;
  }

  /**
   * For the client's AUTH implementation only: the password. Callers must not log it.
   *
   * @return a copy of the password
   * @throws IllegalStateException for token credentials
   */
  public char[] password() {
    if (password == null) {
      throw new IllegalStateException("token credentials have no password");
    }
    return password.clone();
  }

  /**
   * For the client's AUTH implementation only: a fresh token from the supplier.
   *
   * @return the token
   * @throws IllegalStateException for password credentials, or if the supplier gives null/empty
   */
  public String token() {
    if (tokenSupplier == null) {
      throw new IllegalStateException("password credentials have no token");
    }
    String t = tokenSupplier.get();
    if (t == null || t.isEmpty()) {
      throw new IllegalStateException("the token supplier gave no token for " + username);
    }
    return t;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Credentials
        && ((Credentials) o).username.equals(username)
        && ((Credentials) o).isToken() == isToken()
        && ((Credentials) o).mechanisms.equals(mechanisms);
  }

  @Override
  public int hashCode() {
    return Objects.hash(username, isToken(), mechanisms);
  }

  /** @return the user name and kind, never the secret */
  @Override
  public String toString() {
    return "Credentials[" + username + (isToken() ? ", token=***]" : ", password=***]");
  }
}
