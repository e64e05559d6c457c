package org.relaymail.queue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.relaymail.protocol.Mailbox;
import org.relaymail.queue.internal.Checks;

/**
 * A message to enqueue: its envelope (RFC 5321 section 2.3.1), DSN envelope parameters (RFC 3461)
 * and queue metadata (tenant, tags, idempotency key). Built with {@link #builder(Mailbox)}; the
 * content is passed separately to {@link QueueStore#enqueue}.
 *
 * <p>Thread-safe (immutable).
 *
 * @param sender the reverse path; {@link Mailbox#NULL} for bounces
 * @param recipients the recipients, at least one, no address twice
 * @param envId the ENVID parameter (RFC 3461 section 4.4), if any
 * @param ret the RET parameter (RFC 3461 section 4.3), if any
 * @param body the BODY type (RFC 6152)
 * @param smtpUtf8 whether the message needs SMTPUTF8 (RFC 6531); always true when an address needs it
 * @param tenant the application's tenant, if any
 * @param tags free labels for administration, each 1 to 64 of {@code [A-Za-z0-9._:-]}
 * @param idempotencyKey a key under which a repeated enqueue returns the first message's id
 */
public record NewMessage(
    Mailbox sender,
    List<NewRecipient> recipients,
    Optional<String> envId,
    Optional<ReturnOption> ret,
    BodyKind body,
    boolean smtpUtf8,
    Optional<String> tenant,
    Set<String> tags,
    Optional<String> idempotencyKey) {

  /** The most recipients one message may carry. */
  public static final int MAX_RECIPIENTS = 10_000;

  /**
   * Checks the message.
   *
   * @throws IllegalArgumentException on no recipients, a duplicate recipient, a malformed ENVID,
   *     tenant, tag or key, or {@code smtpUtf8 == false} while an address needs SMTPUTF8
   */
  public NewMessage {
    Objects.requireNonNull(sender, "sender");
    recipients = List.copyOf(recipients);
    if (recipients.isEmpty() || recipients.size() > MAX_RECIPIENTS) {
      throw new IllegalArgumentException(
          "a message needs 1 to " + MAX_RECIPIENTS + " recipients, got " + recipients.size());
    }
    Set<Mailbox> seen = new HashSet<>();
    for (NewRecipient r : recipients) {
      if (!seen.add(r.mailbox())) {
        throw new IllegalArgumentException("recipient listed twice: " + r.mailbox());
      }
    }
    envId.ifPresent(e -> Checks.printable("ENVID", e, 100, false));
    Objects.requireNonNull(ret, "ret");
    Objects.requireNonNull(body, "body");
    tenant.ifPresent(t -> Checks.printable("tenant", t, 255, false));
    tags = Set.copyOf(new LinkedHashSet<>(tags));
    for (String tag : tags) {
      checkTag(tag);
    }
    idempotencyKey.ifPresent(k -> Checks.printable("idempotency key", k, 255, false));
    boolean needed = sender.needsSmtpUtf8() || recipients.stream().anyMatch(r -> r.mailbox().needsSmtpUtf8());
    if (needed && !smtpUtf8) {
      throw new IllegalArgumentException(
          "smtpUtf8 is false but an address needs SMTPUTF8 (RFC 6531): sender " + sender + ", recipients "
              + recipients.stream().map(r -> r.mailbox().address()).toList());
    }
  }

  static void checkTag(String tag) {
    Objects.requireNonNull(tag, "tag");
    if (tag.isEmpty() || tag.length() > 64 || !tag.chars().allMatch(NewMessage::tagChar)) {
      throw new IllegalArgumentException("a tag must be 1 to 64 of [A-Za-z0-9._:-]: \"" + tag + "\"");
    }
  }

  private static boolean tagChar(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '.' || c == '_' || c == ':' || c == '-';
  }

  /**
   * Starts a message from {@code sender}.
   *
   * @param sender the reverse path ({@link Mailbox#NULL} for a bounce)
   * @return a builder
   */
  public static Builder builder(Mailbox sender) {
    return new Builder(sender);
  }

  /** Builds a {@link NewMessage}. Not thread-safe. */
  public static final class Builder {
    private final Mailbox sender;
    private final List<NewRecipient> recipients = new ArrayList<>();
    private String envId;
    private ReturnOption ret;
    private BodyKind body = BodyKind.SEVEN_BIT;
    private Boolean smtpUtf8;
    private String tenant;
    private final Set<String> tags = new LinkedHashSet<>();
    private String idempotencyKey;

    private Builder(Mailbox sender) {
      this.sender = Objects.requireNonNull(sender, "sender");
    }

    /**
     * Adds a recipient without DSN parameters.
     *
     * @param mailbox the address
     * @return this
     */
    public Builder recipient(Mailbox mailbox) {
      recipients.add(NewRecipient.of(mailbox));
      return this;
    }

    /**
     * Adds a recipient.
     *
     * @param recipient the recipient with its DSN parameters
     * @return this
     */
    public Builder recipient(NewRecipient recipient) {
      recipients.add(Objects.requireNonNull(recipient, "recipient"));
      return this;
    }

    /**
     * Sets ENVID (RFC 3461 section 4.4).
     *
     * @param envId the envelope id, printable ASCII without spaces, at most 100 characters
     * @return this
     */
    public Builder envId(String envId) {
      this.envId = envId;
      return this;
    }

    /**
     * Sets RET (RFC 3461 section 4.3).
     *
     * @param ret FULL or HDRS
     * @return this
     */
    public Builder ret(ReturnOption ret) {
      this.ret = ret;
      return this;
    }

    /**
     * Sets the BODY type (default 7BIT).
     *
     * @param body the body type
     * @return this
     */
    public Builder body(BodyKind body) {
      this.body = Objects.requireNonNull(body, "body");
      return this;
    }

    /**
     * Sets whether SMTPUTF8 is needed; by default it is needed exactly when an address needs it.
     *
     * @param smtpUtf8 the flag
     * @return this
     */
    public Builder smtpUtf8(boolean smtpUtf8) {
      this.smtpUtf8 = smtpUtf8;
      return this;
    }

    /**
     * Sets the tenant.
     *
     * @param tenant printable ASCII without spaces, at most 255 characters
     * @return this
     */
    public Builder tenant(String tenant) {
      this.tenant = tenant;
      return this;
    }

    /**
     * Adds a tag.
     *
     * @param tag 1 to 64 of {@code [A-Za-z0-9._:-]}
     * @return this
     */
    public Builder tag(String tag) {
      checkTag(tag);
      tags.add(tag);
      return this;
    }

    /**
     * Sets the idempotency key.
     *
     * @param key printable ASCII without spaces, at most 255 characters
     * @return this
     */
    public Builder idempotencyKey(String key) {
      this.idempotencyKey = key;
      return this;
    }

    /**
     * Builds the message.
     *
     * @return the message
     * @throws IllegalArgumentException as {@link NewMessage#NewMessage} does
     */
    public NewMessage build() {
      boolean utf8 = smtpUtf8 != null ? smtpUtf8
          : sender.needsSmtpUtf8() || recipients.stream().anyMatch(r -> r.mailbox().needsSmtpUtf8());
      return new NewMessage(sender, recipients, Optional.ofNullable(envId), Optional.ofNullable(ret), body, utf8,
          Optional.ofNullable(tenant), tags, Optional.ofNullable(idempotencyKey));
    }
  }
}
