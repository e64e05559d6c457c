package org.relaymail.protocol;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;
import org.relaymail.protocol.internal.Params;

/**
 * The ESMTP parameters of a RCPT TO command: NOTIFY and ORCPT (RFC 3461 sections 4.1 and 4.2).
 *
 * <p>ORCPT holds the address type (usually {@code rfc822}) and the decoded address; the address is
 * xtext-encoded on the wire ({@link Xtext}). Build with {@link #builder()}; {@link #NONE} has no
 * parameters. Immutable and thread-safe.
 */
public final class RcptParameters {
  /** No parameters. */
  public static final RcptParameters NONE = builder().build();

  /** Maximum length of the ORCPT value as sent, type and ';' included (RFC 3461 section 4.2). */
  public static final int MAX_ORCPT = 500;

  private final Set<DsnNotify> notify;
  private final String orcptType;
  private final String orcpt;

  private RcptParameters(Builder b) {
    this.notify = Collections.unmodifiableSet(EnumSet.copyOf(b.notify));
    this.orcptType = b.orcptType;
    this.orcpt = b.orcpt;
  }

  /**
   * A new builder with no parameters set.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * NOTIFY: when a DSN is wanted; empty when the parameter is not sent.
   *
   * @return an unmodifiable set: {NEVER} or a non-empty subset of SUCCESS, FAILURE, DELAY, or empty
   */
  public Set<DsnNotify> notifyOn() {
    return notify;
  }

  /**
   * The address type of ORCPT, e.g. {@code rfc822}.
   *
   * @return the type, or empty if ORCPT is not sent
   */
  public Optional<String> originalRecipientType() {
    return Optional.ofNullable(orcptType);
  }

  /**
   * The decoded original recipient address of ORCPT.
   *
   * @return the address, or empty if ORCPT is not sent
   */
  public Optional<String> originalRecipient() {
    return Optional.ofNullable(orcpt);
  }

  /**
   * Whether no parameter is set.
   *
   * @return true for {@link #NONE}
   */
  public boolean isEmpty() {
    return notify.isEmpty() && orcpt == null;
  }

  void appendTo(StringBuilder b) {
    if (!notify.isEmpty()) {
      StringJoiner j = new StringJoiner(",");
      notify.forEach(n -> j.add(n.name()));
      b.append(" NOTIFY=").append(j);
    }
    if (orcpt != null) {
      b.append(" ORCPT=").append(orcptType).append(';').append(Xtext.encode(orcpt));
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RcptParameters p
        && notify.equals(p.notify)
        && Objects.equals(orcptType, p.orcptType)
        && Objects.equals(orcpt, p.orcpt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(notify, orcptType, orcpt);
  }

  /** The parameters as they appear on the wire, e.g. {@code NOTIFY=FAILURE,DELAY}. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    appendTo(b);
    return b.length() == 0 ? "" : b.substring(1);
  }

  /** Builds {@link RcptParameters}; every setter checks its value at once. Not thread-safe. */
  public static final class Builder {
    private Set<DsnNotify> notify = EnumSet.noneOf(DsnNotify.class);
    private String orcptType;
    private String orcpt;

    private Builder() {}

    /**
     * Sets NOTIFY (RFC 3461 section 4.1).
     *
     * @param on {@link DsnNotify#NEVER} alone, or any of SUCCESS, FAILURE, DELAY; none to leave
     *     NOTIFY out
     * @return this builder
     * @throws IllegalArgumentException if NEVER is combined with another value
     */
    public Builder notifyOn(DsnNotify... on) {
      Set<DsnNotify> s = EnumSet.noneOf(DsnNotify.class);
      for (DsnNotify n : on) {
        s.add(Objects.requireNonNull(n, "notify value"));
      }
      return notifyOn(s);
    }

    /**
     * Sets NOTIFY (RFC 3461 section 4.1).
     *
     * @param on {NEVER}, or a subset of SUCCESS, FAILURE, DELAY; empty to leave NOTIFY out
     * @return this builder
     * @throws IllegalArgumentException if NEVER is combined with another value
     */
    public Builder notifyOn(Set<DsnNotify> on) {
      Set<DsnNotify> s = on.isEmpty() ? EnumSet.noneOf(DsnNotify.class) : EnumSet.copyOf(on);
      if (s.contains(DsnNotify.NEVER) && s.size() > 1) {
        throw new IllegalArgumentException(
            "NOTIFY=NEVER cannot be combined with " + on + " (RFC 3461 section 4.1)");
      }
      this.notify = s;
      return this;
    }

    /**
     * Sets ORCPT (RFC 3461 section 4.2).
     *
     * @param addressType the address type, an atom such as {@code rfc822}
     * @param address the original address, printable US-ASCII
     * @return this builder
     * @throws IllegalArgumentException naming the value if the type is not an atom, the address
     *     not printable US-ASCII, or the whole longer than 500 characters once encoded
     */
    public Builder originalRecipient(String addressType, String address) {
      Params.noCrLfNul("ORCPT address type", addressType);
      if (!Params.isAtom(addressType) || addressType.indexOf(';') >= 0) {
        throw new IllegalArgumentException(
            "ORCPT address type " + org.relaymail.protocol.internal.Text.quote(addressType)
                + " is not an atom such as rfc822 (RFC 3461 section 4.2)");
      }
      Params.printableAscii("ORCPT address", address, MAX_ORCPT, "RFC 3461 section 4.2");
      if (addressType.length() + 1 + Xtext.encode(address).length() > MAX_ORCPT) {
        throw new IllegalArgumentException(
            "ORCPT is longer than " + MAX_ORCPT + " characters once encoded"
                + " (RFC 3461 section 4.2)");
      }
      this.orcptType = addressType;
      this.orcpt = address;
      return this;
    }

    /**
     * Sets ORCPT to {@code rfc822;} and the mailbox's address.
     *
     * @param original the original recipient; its address must be US-ASCII
     * @return this builder
     * @throws IllegalArgumentException if the address is not US-ASCII or is the null path
     */
    public Builder originalRecipient(Mailbox original) {
      if (original.isNull()) {
        throw new IllegalArgumentException("ORCPT cannot be the null path <> (RFC 3461 section 4.2)");
      }
      return originalRecipient("rfc822", original.localPart() + "@" + original.asciiDomain());
    }

    /**
     * Builds the parameters.
     *
     * @return the immutable parameters
     */
    public RcptParameters build() {
      return new RcptParameters(this);
    }
  }
}
