package org.relaymail.relay.internal.admin;

import java.io.IOException;
import java.util.Optional;
import org.relaymail.queue.QueueId;
import org.relaymail.relay.QueueAdministration;

/**
 * What the admin channel serves: {@code RelayClient}'s administration methods, and the start of a
 * message's content (for {@code relaymail queue show --headers}). Implementations are thread-safe
 * (connections call them concurrently).
 */
public interface AdminOperations extends QueueAdministration {
  /**
   * Reads the start of a message's content.
   *
   * @param id the message
   * @param maxBytes the most bytes to read from the start of the content
   * @return the header fields (up to the CRLF ending the last field, without the empty line), or
   *     the first {@code maxBytes} bytes when no empty line comes first; empty when there is no
   *     such message
   * @throws IOException on a storage failure
   */
  Optional<byte[]> headerSection(QueueId id, int maxBytes) throws IOException;
}
