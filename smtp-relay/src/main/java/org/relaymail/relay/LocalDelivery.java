package org.relaymail.relay;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.relaymail.protocol.Mailbox;
import org.relaymail.protocol.SmtpReply;

/**
 * The application's delivery for its local domains (see {@link Routing.Builder#localDomain}): the
 * relay hands it the message instead of connecting anywhere.
 *
 * <p>Implementations must be thread-safe: delivery workers call it concurrently. It is called at
 * least once per message and recipient; after a crash between the call and the recording of its
 * result it may be called again for the same message (at-least-once, like every delivery).
 */
@FunctionalInterface
public interface LocalDelivery {
  /**
   * Delivers one message to some local recipients.
   *
   * @param sender the envelope sender ({@link Mailbox#NULL} for a bounce)
   * @param recipients the local recipients of this message, at least one
   * @param content the message as stored: RFC 5322, CRLF line endings, not dot-stuffed; valid only
   *     during the call
   * @return one reply per recipient: 2xx delivered, 4xx deferred (retried later), 5xx failed
   *     (bounced); a recipient missing from the map is deferred
   * @throws IOException to defer every recipient (the message is retried later)
   */
  Map<Mailbox, SmtpReply> deliver(Mailbox sender, List<Mailbox> recipients, InputStream content)
      throws IOException;
}
