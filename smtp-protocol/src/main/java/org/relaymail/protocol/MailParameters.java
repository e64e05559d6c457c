package org.relaymail.protocol;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.relaymail.protocol.internal.Params;

/**
 * The ESMTP parameters of a MAIL FROM command: SIZE (RFC 1870), BODY (RFC 6152, RFC 3030),
 * SMTPUTF8 (RFC 6531), RET and ENVID (RFC 3461), AUTH= (RFC 4954 section 5) and REQUIRETLS (RFC
 * 8689).
 *
 * <p>ENVID and AUTH= hold the decoded text; they are xtext-encoded on the wire ({@link Xtext}).
 * Build with {@link #builder()}; {@link #NONE} has no parameters. Immutable and thread-safe.
 */
public final class MailParameters {
  /** No parameters. */
  public static final MailParameters NONE = builder().build();

  /** Maximum length of ENVID as sent (RFC 3461 section 4.4). */
  public static final int MAX_ENVID = 100;

  private final long size;
  private final BodyType body;
  private final boolean smtpUtf8;
  private final DsnReturn ret;
  private final String envelopeId;
  private final String auth;
  private final boolean requireTls;

  private MailParameters(Builder b) {
    this.size = b.size;
    this.body = b.body;
    this.smtpUtf8 = b.smtpUtf8;
    this.ret = b.ret;
    this.envelopeId = b.envelopeId;
    this.auth = b.auth;
    this.requireTls = b.requireTls;
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
   * A builder holding these parameters.
   *
   * @return the builder
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.size = size;
    b.body = body;
    b.smtpUtf8 = smtpUtf8;
    b.ret = ret;
    b.envelopeId = envelopeId;
    b.auth = auth;
    b.requireTls = requireTls;
    return b;
  }

  /**
   * SIZE: the message size in octets the client declares (RFC 1870 section 6).
   *
   * @return the size, or empty
   */
  public OptionalLong size() {
    return size < 0 ? OptionalLong.empty() : OptionalLong.of(size);
  }

  /**
   * BODY: the body type (RFC 6152 section 2, RFC 3030 section 3).
   *
   * @return the body type, or empty
   */
  public Optional<BodyType> body() {
    return Optional.ofNullable(body);
  }

  /**
   * SMTPUTF8: the envelope or headers hold UTF-8 (RFC 6531 section 3.4).
   *
   * @return whether set
   */
  public boolean smtpUtf8() {
    return smtpUtf8;
  }

  /**
   * RET: what a DSN returns of the message (RFC 3461 section 4.3).
   *
   * @return the value, or empty
   */
  public Optional<DsnReturn> ret() {
    return Optional.ofNullable(ret);
  }

  /**
   * ENVID: the envelope identifier, decoded (RFC 3461 section 4.4).
   *
   * @return the identifier, or empty
   */
  public Optional<String> envelopeId() {
    return Optional.ofNullable(envelopeId);
  }

  /**
   * AUTH=: the authenticated submitter, decoded; {@code "<>"} when unknown (RFC 4954 section 5).
   *
   * @return the value, or empty
   */
  public Optional<String> auth() {
    return Optional.ofNullable(auth);
  }

  /**
   * REQUIRETLS (RFC 8689 section 4).
   *
   * @return whether set
   */
  public boolean requireTls() {
    return requireTls;
  }

  /**
   * Whether no parameter is set.
   *
   * @return true for {@link #NONE}
   */
  public boolean isEmpty() {
    return equals(NONE);
  }

  /** Appends {@code " SIZE=.. BODY=.."} in a fixed order. */
  void appendTo(StringBuilder b) {
    if (size >= 0) {
      b.append(" SIZE=").append(size);
    }
    if (body != null) {
      b.append(" BODY=").append(body.keyword());
    }
    if (smtpUtf8) {
      b.append(" SMTPUTF8");
    }
    if (ret != null) {
      b.append(" RET=").append(ret.name());
    }
    if (envelopeId != null) {
      b.append(" ENVID=").append(Xtext.encode(envelopeId));
    }
    if (auth != null) {
      b.append(" AUTH=").append(Xtext.encode(auth));
    }
    if (requireTls) {
      b.append(" REQUIRETLS");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MailParameters p
        && size == p.size
        && body == p.body
        && smtpUtf8 == p.smtpUtf8
        && ret == p.ret
        && Objects.equals(envelopeId, p.envelopeId)
        && Objects.equals(auth, p.auth)
        && requireTls == p.requireTls;
  }

  @Override
  public int hashCode() {
    return Objects.hash(size, body, smtpUtf8, ret, envelopeId, auth, requireTls);
  }

  /** The parameters as they appear on the wire, e.g. {@code SIZE=1000 BODY=8BITMIME}. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    appendTo(b);
    return b.length() == 0 ? "" : b.substring(1);
  }

  /**
   * Builds {@link MailParameters}; every setter checks its value at once. Not thread-safe.
   */
  public static final class Builder {
    private long size = -1;
    private BodyType body;
    private boolean smtpUtf8;
    private DsnReturn ret;
    private String envelopeId;
    private String auth;
    private boolean requireTls;

    private Builder() {}

    /**
     * Sets SIZE (RFC 1870).
     *
     * @param octets the message size, at least 0
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder size(long octets) {
      if (octets < 0) {
        throw new IllegalArgumentException("SIZE " + octets + " is negative (RFC 1870 section 6)");
      }
      this.size = octets;
      return this;
    }

    /**
     * Sets BODY.
     *
     * @param body the body type, or null to leave it out
     * @return this builder
     */
    public Builder body(BodyType body) {
      this.body = body;
      return this;
    }

    /**
     * Sets or clears SMTPUTF8.
     *
     * @param on whether to send it
     * @return this builder
     */
    public Builder smtpUtf8(boolean on) {
      this.smtpUtf8 = on;
      return this;
    }

    /**
     * Sets RET.
     *
     * @param ret the value, or null to leave it out
     * @return this builder
     */
    public Builder ret(DsnReturn ret) {
      this.ret = ret;
      return this;
    }

    /**
     * Sets ENVID (RFC 3461 section 4.4).
     *
     * @param envelopeId printable US-ASCII, at most 100 characters once xtext-encoded; null to leave
     *     it out
     * @return this builder
     * @throws IllegalArgumentException naming the value if it breaks these rules
     */
    public Builder envelopeId(String envelopeId) {
      if (envelopeId != null) {
        Params.printableAscii("ENVID", envelopeId, MAX_ENVID, "RFC 3461 section 4.4");
        if (Xtext.encode(envelopeId).length() > MAX_ENVID) {
          throw new IllegalArgumentException(
              "ENVID is longer than " + MAX_ENVID + " characters once xtext-encoded"
                  + " (RFC 3461 section 4.4)");
        }
      }
      this.envelopeId = envelopeId;
      return this;
    }

    /**
     * Sets AUTH= (RFC 4954 section 5).
     *
     * @param auth the submitter's address (printable US-ASCII) or {@code "<>"}; null to leave it
     *     out
     * @return this builder
     * @throws IllegalArgumentException naming the value if it is not printable US-ASCII
     */
    public Builder auth(String auth) {
      if (auth != null) {
        Params.printableAscii("AUTH=", auth, 500, "RFC 4954 section 5");
      }
      this.auth = auth;
      return this;
    }

    /**
     * Sets or clears REQUIRETLS.
     *
     * @param on whether to send it
     * @return this builder
     */
    public Builder requireTls(boolean on) {
      this.requireTls = on;
      return this;
    }

    /**
     * Builds the parameters.
     *
     * @return the immutable parameters
     */
    public MailParameters build() {
      return new MailParameters(this);
    }
  }
}
