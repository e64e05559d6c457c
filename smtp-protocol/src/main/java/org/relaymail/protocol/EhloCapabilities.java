package org.relaymail.protocol;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The service extensions a server announces in its EHLO reply (RFC 5321 section 4.1.1.1): the
 * first line holds the server's domain and an optional greeting, every further line an
 * ehlo-keyword and its parameters separated by spaces.
 *
 * <p>Keywords are compared case-insensitively and kept upper-case; unknown extensions are kept with
 * their parameters. The obsolete {@code AUTH=LOGIN PLAIN} form sent by old servers is read as
 * {@code AUTH}, and its mechanisms are merged with those of an {@code AUTH} line.
 *
 * <p>Immutable and thread-safe.
 */
public final class EhloCapabilities {
  private static final EhloCapabilities NONE = new EhloCapabilities("", "", Map.of());

  private final String domain;
  private final String greeting;
  private final Map<String, List<String>> extensions;

  private EhloCapabilities(String domain, String greeting, Map<String, List<String>> extensions) {
    this.domain = domain;
    this.greeting = greeting;
    this.extensions = extensions;
  }

  /**
   * Reads the capabilities from a server's reply to EHLO.
   *
   * @param ehloReply the reply; must be positive (2xx)
   * @return the capabilities
   * @throws IllegalArgumentException if the reply is not positive
   */
  public static EhloCapabilities parse(SmtpReply ehloReply) {
    Objects.requireNonNull(ehloReply, "ehloReply");
    if (!ehloReply.isPositive()) {
      throw new IllegalArgumentException(
          "not a positive EHLO reply: " + ehloReply + " (RFC 5321 section 4.1.1.1)");
    }
    List<String> lines = ehloReply.lines();
    String first = lines.get(0).strip();
    int sp = first.indexOf(' ');
    String domain = sp < 0 ? first : first.substring(0, sp);
    String greeting = sp < 0 ? "" : first.substring(sp + 1).strip();
    Map<String, List<String>> ext = new LinkedHashMap<>();
    for (int i = 1; i < lines.size(); i++) {
      String[] tokens = lines.get(i).strip().split(" +");
      if (tokens[0].isEmpty()) {
        continue;
      }
      String keyword = tokens[0];
      List<String> params = new ArrayList<>();
      int eq = keyword.indexOf('=');
      if (eq > 0) {
        // obsolete "AUTH=LOGIN PLAIN" form (draft-era servers)
        if (eq + 1 < keyword.length()) {
          params.add(keyword.substring(eq + 1));
        }
        keyword = keyword.substring(0, eq);
      }
      keyword = keyword.toUpperCase(Locale.ROOT);
      for (int t = 1; t < tokens.length; t++) {
        params.add(tokens[t]);
      }
      List<String> existing = ext.get(keyword);
      if (existing == null) {
        ext.put(keyword, params);
      } else {
        for (String p : params) {
          if (!existing.contains(p)) {
            existing.add(p);
          }
        }
      }
    }
    Map<String, List<String>> frozen = new LinkedHashMap<>();
    ext.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
    return new EhloCapabilities(domain, greeting, Collections.unmodifiableMap(frozen));
  }

  /**
   * No extensions at all: what a client assumes after falling back to HELO.
   *
   * @return capabilities with no keywords and an empty domain
   */
  public static EhloCapabilities none() {
    return NONE;
  }

  /**
   * The domain the server named on the first line of its EHLO reply.
   *
   * @return the domain as sent, possibly empty
   */
  public String domain() {
    return domain;
  }

  /**
   * The rest of the first line after the domain.
   *
   * @return the greeting text, possibly empty
   */
  public String greeting() {
    return greeting;
  }

  /**
   * Whether the server announced the keyword.
   *
   * @param keyword an ehlo-keyword, any case, e.g. {@code "pipelining"}
   * @return true if announced
   */
  public boolean has(String keyword) {
    return extensions.containsKey(keyword.toUpperCase(Locale.ROOT));
  }

  /**
   * The parameters announced with a keyword.
   *
   * @param keyword an ehlo-keyword, any case
   * @return the parameters in order; empty if none or not announced
   */
  public List<String> parameters(String keyword) {
    return extensions.getOrDefault(keyword.toUpperCase(Locale.ROOT), List.of());
  }

  /**
   * Every announced keyword, upper-case, in order.
   *
   * @return an unmodifiable set
   */
  public Set<String> keywords() {
    return extensions.keySet();
  }

  /**
   * Every keyword with its parameters.
   *
   * @return an unmodifiable map in announcement order
   */
  public Map<String, List<String>> extensions() {
    return extensions;
  }

  /**
   * The fixed maximum message size (RFC 1870 section 4): present when SIZE was announced with a
   * positive number; empty when SIZE was not announced, has no value, has 0 (no fixed limit) or an
   * unreadable value.
   *
   * @return the limit in octets
   */
  public OptionalLong maxSize() {
    List<String> p = extensions.get("SIZE");
    if (p == null || p.isEmpty()) {
      return OptionalLong.empty();
    }
    String v = p.get(0);
    if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return OptionalLong.empty();
    }
    long n = Long.parseLong(v);
    return n > 0 ? OptionalLong.of(n) : OptionalLong.empty();
  }

  /**
   * The SASL mechanisms announced with AUTH (and the obsolete AUTH=), upper-case (RFC 4954 section
   * 3).
   *
   * @return an unmodifiable set in announcement order, empty if AUTH was not announced
   */
  public Set<String> authMechanisms() {
    Set<String> s = new LinkedHashSet<>();
    for (String m : parameters("AUTH")) {
      s.add(m.toUpperCase(Locale.ROOT));
    }
    return Collections.unmodifiableSet(s);
  }

  /**
   * PIPELINING (RFC 2920).
   *
   * @return whether announced
   */
  public boolean pipelining() {
    return has("PIPELINING");
  }

  /**
   * CHUNKING, the BDAT command (RFC 3030).
   *
   * @return whether announced
   */
  public boolean chunking() {
    return has("CHUNKING");
  }

  /**
   * 8BITMIME (RFC 6152).
   *
   * @return whether announced
   */
  public boolean eightBitMime() {
    return has("8BITMIME");
  }

  /**
   * SMTPUTF8 (RFC 6531).
   *
   * @return whether announced
   */
  public boolean smtpUtf8() {
    return has("SMTPUTF8");
  }

  /**
   * STARTTLS (RFC 3207).
   *
   * @return whether announced
   */
  public boolean startTls() {
    return has("STARTTLS");
  }

  /**
   * DSN (RFC 3461).
   *
   * @return whether announced
   */
  public boolean dsn() {
    return has("DSN");
  }

  /**
   * ENHANCEDSTATUSCODES (RFC 2034).
   *
   * @return whether announced
   */
  public boolean enhancedStatusCodes() {
    return has("ENHANCEDSTATUSCODES");
  }

  /**
   * BINARYMIME (RFC 3030).
   *
   * @return whether announced
   */
  public boolean binaryMime() {
    return has("BINARYMIME");
  }

  /**
   * REQUIRETLS (RFC 8689).
   *
   * @return whether announced
   */
  public boolean requireTls() {
    return has("REQUIRETLS");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EhloCapabilities c
        && domain.equals(c.domain)
        && greeting.equals(c.greeting)
        && extensions.equals(c.extensions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(domain, greeting, extensions);
  }

  /** The domain and the keywords with their parameters, on one line. */
  @Override
  public String toString() {
    return "EhloCapabilities[" + domain + " " + extensions + "]";
  }
}
