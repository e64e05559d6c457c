package org.relaymail.relay;

import java.io.IOException;
import java.util.List;
import org.relaymail.protocol.Mailbox;

/**
 * A hook run once in {@link RelayClient#send(OutgoingMessage)}, after the relay prepared the
 * message (canonical line endings, Date, Message-ID, Received) and before it is queued: the place
 * for DKIM signing (RFC 6376) and similar rewriting. What it returns is queued and sent as is, after
 * the same checks as the original (canonical CRLF, line length); if it throws, nothing is queued and
 * {@code send()} throws.
 *
 * <p>Called from the threads calling {@code send()}: implementations must be thread-safe.
 */
@FunctionalInterface
public interface MessageTransform {
  /** Leaves the message as it is. */
  MessageTransform NONE = (sender, recipients, message) -> message;

  /**
   * Transforms a prepared message.
   *
   * @param sender the envelope sender
   * @param recipients the envelope recipients
   * @param message the prepared message, CRLF line endings (do not change the array)
   * @return the message to queue (may be the same array)
   * @throws IOException to refuse the message
   */
  byte[] transform(Mailbox sender, List<Mailbox> recipients, byte[] message) throws IOException;
}
