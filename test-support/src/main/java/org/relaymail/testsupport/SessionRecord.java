package org.relaymail.testsupport;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A snapshot of one session of the {@link ScriptedSmtpServer}: the exact bytes it received and
 * sent (plaintext; after STARTTLS the decrypted bytes), the command lines, and whether it is
 * still open. Immutable and thread-safe.
 *
 * @param id the session number, from 1
 * @param remoteAddress the client's address
 * @param received every byte read from the client, in order
 * @param sent every byte written to the client, in order
 * @param commands the command lines received (AUTH data redacted), without CRLF
 * @param open whether the connection is still open
 */
public record SessionRecord(int id, InetSocketAddress remoteAddress, byte[] received, byte[] sent,
    List<String> commands, boolean open) {

  /** Copies the arrays and list. */
  public SessionRecord {
    received = received.clone();
    sent = sent.clone();
    commands = List.copyOf(commands);
  }

  /**
   * The bytes received.
   *
   * @return a copy
   */
  @Override
  public byte[] received() {
    return received.clone();
  }

  /**
   * The bytes sent.
   *
   * @return a copy
   */
  @Override
  public byte[] sent() {
    return sent.clone();
  }

  /**
   * The received bytes as text (ISO-8859-1, one char per byte, so nothing is lost).
   *
   * @return the text
   */
  public String receivedText() {
    return new String(received, StandardCharsets.ISO_8859_1);
  }

  /**
   * The sent bytes as text (ISO-8859-1).
   *
   * @return the text
   */
  public String sentText() {
    return new String(sent, StandardCharsets.ISO_8859_1);
  }
}
