package org.relaymail.relay.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.relaymail.protocol.EnhancedStatus;
import org.relaymail.protocol.LineTooLongException;
import org.relaymail.protocol.MessageNormalizer;
import org.relaymail.relay.InvalidMessageException;
import org.relaymail.relay.OutgoingMessage;
import org.relaymail.relay.Recipient;

/**
 * Prepares a message once, before it is queued, so that the bytes stored are the bytes sent: line
 * endings made canonical and line length checked (smtp-protocol's {@link MessageNormalizer}), a
 * {@code Message-ID} and a {@code Date} added when missing (RFC 5322 section 3.6, configurable), a
 * message without {@code From} refused, a loop refused (50 or more {@code Received} fields, RFC
 * 5321 section 6.3), the relay's {@code Received} trace field added on top (RFC 5321 section 4.4),
 * and SMTPUTF8 / 8BITMIME needs detected. Thread-safe when its id supplier is.
 */
public final class MessagePreparer {
  /** Postfix's {@code hopcount_limit}. */
  public static final int DEFAULT_MAX_RECEIVED = 50;

  /** Postfix's {@code message_size_limit}: 10,240,000 octets. */
  public static final long DEFAULT_MAX_SIZE = 10_240_000;

  private static final DateTimeFormatter RFC5322_DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String heloName;
  private final Clock clock;
  private final boolean addDate;
  private final boolean addMessageId;
  private final int maxReceived;
  private final long maxSize;
  private final Supplier<String> uniqueIds;

  /**
   * Creates a preparer.
   *
   * @param heloName the relay's fully qualified name (validated), used in Received and Message-ID
   * @param clock the time for Date and Received
   * @param addDate add a Date field when missing
   * @param addMessageId add a Message-ID field when missing
   * @param maxReceived refuse a message with this many Received fields or more
   * @param maxSize the largest content accepted, in octets, before the relay's own fields
   * @param uniqueIds the local part of generated Message-IDs (unique, dot-atom text)
   */
  public MessagePreparer(
      String heloName,
      Clock clock,
      boolean addDate,
      boolean addMessageId,
      int maxReceived,
      long maxSize,
      Supplier<String> uniqueIds) {
    this.heloName = HostNames.requireFqdn(heloName, "HELO name");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.addDate = addDate;
    this.addMessageId = addMessageId;
    if (maxReceived < 1) {
      throw new IllegalArgumentException("maxReceived must be at least 1: " + maxReceived);
    }
    this.maxReceived = maxReceived;
    if (maxSize < 1) {
      throw new IllegalArgumentException("maxSize must be at least 1: " + maxSize);
    }
    this.maxSize = maxSize;
    this.uniqueIds = Objects.requireNonNull(uniqueIds, "uniqueIds");
  }

  /**
   * Creates a preparer with the defaults: Date and Message-ID added, 50 Received fields, 10 MB.
   *
   * @param heloName the relay's fully qualified name
   * @param clock the time source
   * @return the preparer
   */
  public static MessagePreparer withDefaults(String heloName, Clock clock) {
    return new MessagePreparer(
        heloName, clock, true, true, DEFAULT_MAX_RECEIVED, DEFAULT_MAX_SIZE, MessagePreparer::randomId);
  }

  /**
   * Returns a random Message-ID local part: time in base 36, a dot, 80 random bits in base 32.
   *
   * @return the id text
   */
  public static String randomId() {
    byte[] b = new byte[10];
    RANDOM.nextBytes(b);
    StringBuilder sb = new StringBuilder(Long.toString(System.currentTimeMillis(), 36)).append('.');
    String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    long bits = 0;
    int have = 0;
    for (byte x : b) {
      bits = (bits << 8) | (x & 0xff);
      have += 8;
      while (have >= 5) {
        sb.append(alphabet.charAt((int) (bits >>> (have - 5)) & 31));
        have -= 5;
      }
    }
    return sb.toString();
  }

  /**
   * Returns the relay's validated name.
   *
   * @return the HELO name in lower-case A-labels
   */
  public String heloName() {
    return heloName;
  }

  /**
   * Formats a time as an RFC 5322 date-time, e.g. {@code Tue, 3 Jun 2025 10:00:00 +0000}.
   *
   * @param time the time
   * @return the text
   */
  public static String formatDate(ZonedDateTime time) {
    return RFC5322_DATE.format(time);
  }

  /**
   * Reads and prepares a message.
   *
   * @param message the message
   * @param traceId an identifier for the Received field's {@code id} clause (the queue id when
   *     known), or {@code null} for none
   * @return the prepared message
   * @throws InvalidMessageException if the message is refused (nothing must be queued)
   * @throws IOException if the content cannot be read
   */
  public PreparedMessage prepare(OutgoingMessage message, String traceId) throws IOException {
    byte[] raw = read(message);
    byte[] c;
    try {
      c = MessageNormalizer.normalize(raw);
    } catch (LineTooLongException e) {
      throw new InvalidMessageException(
          EnhancedStatus.of(5, 6, 0),
          "message line " + e.lineNumber() + " is " + e.length() + " octets long; SMTP allows at most "
              + e.limit() + " octets per line (RFC 5321 section 4.5.3.1.6): encode the content"
              + " (quoted-printable or base64)",
          e);
    }
    MessageHeaders headers = MessageHeaders.parse(c);
    if (headers.count("from") == 0) {
      throw new InvalidMessageException(
          EnhancedStatus.of(5, 6, 0),
          "message has no From header field (RFC 5322 section 3.6.2 requires one)",
          null);
    }
    int received = headers.count("received");
    if (received >= maxReceived) {
      throw new InvalidMessageException(
          EnhancedStatus.of(5, 4, 6),
          "mail loop: the message has " + received + " Received header fields (the limit is "
              + maxReceived + ", RFC 5321 section 6.3)",
          null);
    }
    ZonedDateTime now = ZonedDateTime.now(clock);
    ByteArrayOutputStream out = new ByteArrayOutputStream(c.length + 256);
    write(out, receivedField(traceId, now));
    out.write(c, 0, headers.headerEnd());
    Optional<String> messageId = headers.value(c, "message-id").map(MessagePreparer::stripAngles);
    if (messageId.isEmpty() && addMessageId) {
      messageId = Optional.of(uniqueIds.get() + "@" + heloName);
      write(out, "Message-ID: <" + messageId.get() + ">\r\n");
    }
    if (headers.count("date") == 0 && addDate) {
      write(out, "Date: " + formatDate(now) + "\r\n");
    }
    if (headers.hasSeparator()) {
      out.write(c, headers.headerEnd(), c.length - headers.headerEnd());
    } else if (headers.bodyStart() < c.length) {
      write(out, "\r\n");
      out.write(c, headers.bodyStart(), c.length - headers.bodyStart());
    }
    byte[] content = out.toByteArray();
    boolean smtpUtf8 =
        headers.hasNonAsciiHeader(c)
            || message.sender().needsSmtpUtf8()
            || message.recipients().stream().map(Recipient::mailbox).anyMatch(m -> m.needsSmtpUtf8());
    return new PreparedMessage(
        message.sender(),
        message.recipients(),
        content,
        smtpUtf8,
        hasEightBit(content),
        messageId,
        message.dsnReturn(),
        message.envelopeId());
  }

  private String receivedField(String traceId, ZonedDateTime now) {
    StringBuilder sb = new StringBuilder("Received: by ").append(heloName).append(" (relaymail)");
    if (traceId != null) {
      if (!traceId.matches("[A-Za-z0-9._-]{1,64}")) {
        throw new IllegalArgumentException("trace id must be 1-64 letters, digits, '.', '_', '-': " + traceId);
      }
      sb.append(" id ").append(traceId);
    }
    return sb.append(";\r\n\t").append(formatDate(now)).append("\r\n").toString();
  }

  private byte[] read(OutgoingMessage message) throws IOException {
    try (InputStream in = message.content().open()) {
      if (in == null) {
        throw new IOException("the message content source returned no stream");
      }
      byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, maxSize + 1));
      if (data.length > maxSize) {
        throw new InvalidMessageException(
            EnhancedStatus.of(5, 3, 4),
            "message is larger than the limit of " + maxSize + " octets",
            null);
      }
      return data;
    }
  }

  private static boolean hasEightBit(byte[] c) {
    for (byte b : c) {
      if (b < 0) {
        return true;
      }
    }
    return false;
  }

  private static String stripAngles(String id) {
    String s = id.trim();
    if (s.startsWith("<") && s.endsWith(">") && s.length() > 2) {
      return s.substring(1, s.length() - 1);
    }
    return s;
  }

  private static void write(ByteArrayOutputStream out, String ascii) {
    out.writeBytes(ascii.getBytes(StandardCharsets.UTF_8));
  }
}
