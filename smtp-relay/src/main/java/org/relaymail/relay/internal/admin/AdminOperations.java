package org.relaymail.relay.internal.admin;

import java.io.IOException;
import java.util.Optional;
import org.relaymail.queue.QueueId;
import org.relaymail.relay.OutgoingMessage;
import org.relaymail.relay.QueueAdministration;

/**
 * What the admin channel serves besides the queue administration ({@link QueueAdministration},
 * served as it is): the start of a message's content (for {@code relaymail queue show --headers})
 * and submission. Implementations are thread-safe (connections call them concurrently).
 */
public interface AdminOperations {
  /**
   * Reads the start of a message's content.
   *
   * @param id the message
   * @param maxBytes the most bytes to read from the start of the content
   * @return the header fields (up to the CRLF ending the last field, without the empty line; the
   *     section ends as {@code MessageHeaders} finds it) within the first {@code maxBytes} bytes;
   *     empty when there is no such message
   * @throws IOException on a storage failure
   */
  Optional<byte[]> headerSection(QueueId id, int maxBytes) throws IOException;

  /**
   * The largest message {@link #submit} takes, in bytes; a larger {@code size} is refused before
   * any byte is read.
   *
   * @return the relay's maximum message size; 0 when this relay takes no submissions
   */
  default long maxSubmitSize() {
    return 0;
  }

  /**
   * Queues a message through the relay's usual path ({@code RelayClient.send}: validation,
   * preparation, durable enqueue).
   *
   * @param message the message
   * @return its queue id
   * @throws org.relaymail.relay.InvalidMessageException if the relay refuses the message as bad input
   * @throws IOException on a storage failure
   * @throws IllegalStateException if the relay takes no submissions now (closing)
   */
  default QueueId submit(OutgoingMessage message) throws IOException {
    throw new IllegalStateException("this relay takes no submissions on its admin channel");
  }
}
