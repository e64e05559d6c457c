package org.relaymail.relay;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.relaymail.protocol.DsnNotify;
import org.relaymail.protocol.DsnReturn;
import org.relaymail.protocol.Mailbox;

/**
 * A message handed to the relay: the envelope (sender, recipients, DSN options of RFC 3461) and
 * the RFC 5322 content. Addresses are checked when they are added ({@link Mailbox#parse} refuses
 * CR, LF and every other syntax error with a clear message); the content is checked by {@code
 * send()}.
 *
 * <p>Thread-safe (immutable), provided the {@link MessageContent} is.
 */
public final class OutgoingMessage {
  private final Mailbox sender;
  private final List<Recipient> recipients;
  private final MessageContent content;
  private final Optional<DsnReturn> dsnReturn;
  private final Optional<String> envelopeId;

  private OutgoingMessage(Builder b) {
    this.sender = b.sender;
    this.recipients = List.copyOf(b.recipients.values());
    this.content = b.content;
    this.dsnReturn = Optional.ofNullable(b.dsnReturn);
    this.envelopeId = Optional.ofNullable(b.envelopeId);
  }

  /**
   * Returns a new builder.
   *
   * @return the builder (not thread-safe)
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the envelope sender (MAIL FROM), where bounces go; {@link Mailbox#NULL} for a message
   * that must never be bounced.
   *
   * @return the sender
   */
  public Mailbox sender() {
    return sender;
  }

  /**
   * Returns the envelope recipients, without duplicates, in the order added.
   *
   * @return the recipients, at least one
   */
  public List<Recipient> recipients() {
    return recipients;
  }

  /**
   * Returns where the content is read from.
   *
   * @return the content source
   */
  public MessageContent content() {
    return content;
  }

  /**
   * Returns how much of the message a failure report returns ({@code RET}, RFC 3461 section
   * 4.3); empty means the relay's choice (headers only when large).
   *
   * @return the RET value
   */
  public Optional<DsnReturn> dsnReturn() {
    return dsnReturn;
  }

  /**
   * Returns the envelope identifier ({@code ENVID}, RFC 3461 section 4.4) echoed in reports.
   *
   * @return the identifier
   */
  public Optional<String> envelopeId() {
    return envelopeId;
  }

  @Override
  public String toString() {
    return "OutgoingMessage{from=" + sender.toPath() + ", to=" + recipients.size() + " recipient(s)}";
  }

  /** Builds an {@link OutgoingMessage}; every setter validates at once. Not thread-safe. */
  public static final class Builder {
    private Mailbox sender;
    private final Map<Mailbox, Recipient> recipients = new LinkedHashMap<>();
    private MessageContent content;
    private DsnReturn dsnReturn;
    private String envelopeId;

    private Builder() {}

    /**
     * Sets the envelope sender.
     *
     * @param mailbox the sender, or {@link Mailbox#NULL}
     * @return this builder
     */
    public Builder sender(Mailbox mailbox) {
      this.sender = Objects.requireNonNull(mailbox, "sender");
      return this;
    }

    /**
     * Sets the envelope sender from {@code local@domain}.
     *
     * @param address the address, without angle brackets
     * @return this builder
     * @throws IllegalArgumentException if the address is not valid (CR and LF included)
     */
    public Builder sender(String address) {
      return sender(Mailbox.parse(address));
    }

    /**
     * Adds a recipient with default DSN options; a duplicate is ignored.
     *
     * @param address {@code local@domain}
     * @return this builder
     * @throws IllegalArgumentException if the address is not valid (CR and LF included)
     */
    public Builder recipient(String address) {
      return recipient(Recipient.of(Mailbox.parse(address)));
    }

    /**
     * Adds a recipient with default DSN options; a duplicate is ignored.
     *
     * @param mailbox the recipient
     * @return this builder
     */
    public Builder recipient(Mailbox mailbox) {
      return recipient(Recipient.of(mailbox));
    }

    /**
     * Adds a recipient with a NOTIFY set; a duplicate is ignored.
     *
     * @param mailbox the recipient
     * @param notify the NOTIFY values (RFC 3461 section 4.1)
     * @return this builder
     */
    public Builder recipient(Mailbox mailbox, Set<DsnNotify> notify) {
      return recipient(new Recipient(mailbox, notify, Optional.empty()));
    }

    /**
     * Adds a recipient; a second recipient with the same mailbox is ignored.
     *
     * @param recipient the recipient and its DSN options
     * @return this builder
     */
    public Builder recipient(Recipient recipient) {
      Objects.requireNonNull(recipient, "recipient");
      recipients.putIfAbsent(recipient.mailbox(), recipient);
      return this;
    }

    /**
     * Sets the content from bytes (copied).
     *
     * @param rfc5322 the message: header fields, blank line, body
     * @return this builder
     */
    public Builder content(byte[] rfc5322) {
      this.content = MessageContent.of(rfc5322);
      return this;
    }

    /**
     * Sets the content from a file, read when the message is sent.
     *
     * @param file the file
     * @return this builder
     */
    public Builder content(Path file) {
      this.content = MessageContent.of(file);
      return this;
    }

    /**
     * Sets the content source.
     *
     * @param source opens the content
     * @return this builder
     */
    public Builder content(MessageContent source) {
      this.content = Objects.requireNonNull(source, "content");
      return this;
    }

    /**
     * Sets how much of the message failure reports return (RFC 3461 section 4.3).
     *
     * @param ret FULL or HDRS
     * @return this builder
     */
    public Builder dsnReturn(DsnReturn ret) {
      this.dsnReturn = Objects.requireNonNull(ret, "ret");
      return this;
    }

    /**
     * Sets the envelope identifier (RFC 3461 section 4.4).
     *
     * @param id 1 to 100 printable ASCII characters
     * @return this builder
     * @throws IllegalArgumentException if the identifier is empty, too long or not printable ASCII
     */
    public Builder envelopeId(String id) {
      Objects.requireNonNull(id, "envelopeId");
      if (id.isEmpty() || id.length() > 100 || id.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
        throw new IllegalArgumentException(
            "ENVID must be 1 to 100 printable ASCII characters without spaces (RFC 3461 section 4.4): '"
                + id.replace("\r", "\\r").replace("\n", "\\n") + "'");
      }
      this.envelopeId = id;
      return this;
    }

    /**
     * Builds the message.
     *
     * @return the message
     * @throws IllegalStateException if the sender, the recipients or the content are missing
     */
    public OutgoingMessage build() {
      List<String> missing = new ArrayList<>();
      if (sender == null) {
        missing.add("sender");
      }
      if (recipients.isEmpty()) {
        missing.add("at least one recipient");
      }
      if (content == null) {
        missing.add("content");
      }
      if (!missing.isEmpty()) {
        throw new IllegalStateException("an outgoing message needs " + String.join(", ", missing));
      }
      return new OutgoingMessage(this);
    }
  }
}
