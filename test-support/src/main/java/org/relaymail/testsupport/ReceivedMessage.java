package org.relaymail.testsupport;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A message the {@link ScriptedSmtpServer} accepted: its envelope and the exact content bytes
 * (after dot-unstuffing for DATA, RFC 5321 section 4.5.2; the chunks joined for BDAT, RFC 3030).
 * Immutable and thread-safe.
 */
public final class ReceivedMessage {
  private final int sessionId;
  private final String heloName;
  private final String sender;
  private final Map<String, String> mailParameters;
  private final List<String> recipients;
  private final byte[] content;
  private final boolean chunked;
  private final boolean tls;
  private final String authenticatedUser;
  private final String queueId;

  ReceivedMessage(int sessionId, String heloName, String sender, Map<String, String> mailParameters,
      List<String> recipients, byte[] content, boolean chunked, boolean tls,
      String authenticatedUser, String queueId) {
    this.sessionId = sessionId;
    this.heloName = heloName;
    this.sender = sender;
    this.mailParameters = Collections.unmodifiableMap(new LinkedHashMap<>(mailParameters));
    this.recipients = List.copyOf(recipients);
    this.content = content.clone();
    this.chunked = chunked;
    this.tls = tls;
    this.authenticatedUser = authenticatedUser;
    this.queueId = queueId;
  }

  /**
   * The number of the session that delivered the message.
   *
   * @return the session id
   */
  public int sessionId() {
    return sessionId;
  }

  /**
   * The EHLO/HELO name of that session.
   *
   * @return the name, empty if none was given
   */
  public String heloName() {
    return heloName;
  }

  /**
   * The reverse path without angle brackets; {@code ""} for the null path.
   *
   * @return the sender
   */
  public String sender() {
    return sender;
  }

  /**
   * The MAIL parameters (keys upper-case, values as received, null for a bare keyword).
   *
   * @return the parameters
   */
  public Map<String, String> mailParameters() {
    return mailParameters;
  }

  /**
   * The accepted recipients, in order, without angle brackets.
   *
   * @return the recipients
   */
  public List<String> recipients() {
    return recipients;
  }

  /**
   * The content bytes exactly as received, after unstuffing.
   *
   * @return a copy of the content
   */
  public byte[] content() {
    return content.clone();
  }

  /**
   * The content decoded as UTF-8.
   *
   * @return the content text
   */
  public String contentAsString() {
    return new String(content, StandardCharsets.UTF_8);
  }

  /**
   * Whether the message came with BDAT (RFC 3030) rather than DATA.
   *
   * @return true for BDAT
   */
  public boolean chunked() {
    return chunked;
  }

  /**
   * Whether the session was encrypted when the message was accepted.
   *
   * @return true over TLS
   */
  public boolean tls() {
    return tls;
  }

  /**
   * The user authenticated in the session, if any.
   *
   * @return the user
   */
  public Optional<String> authenticatedUser() {
    return Optional.ofNullable(authenticatedUser);
  }

  /**
   * The queue id named in the final reply ({@code 250 2.0.0 Ok: queued as ID}).
   *
   * @return the queue id
   */
  public String queueId() {
    return queueId;
  }

  @Override
  public String toString() {
    return "ReceivedMessage[" + queueId + " session=" + sessionId + " from=<" + sender + "> to="
        + recipients + " " + content.length + " bytes" + (chunked ? " BDAT" : "") + "]";
  }
}
