package org.relaymail.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relaymail.queue.RecipientState;
import org.relaymail.testsupport.ScriptedSmtpServer;

/** Runs {@link CustomStoreExample}: the relay works on the custom store, whose counters move. */
class CustomStoreExampleTest {
  @Test
  void theRelayRunsOnTheCustomStore(@TempDir Path spool) throws Exception {
    try (ScriptedSmtpServer smarthost = ScriptedSmtpServer.start()) {
      MeteredQueueStore store = CustomStoreExample.run(spool, "127.0.0.1", smarthost.port());

      assertEquals(1, smarthost.awaitMessages(1, Duration.ofSeconds(30)).size());
      assertEquals(1, store.enqueued());
      assertEquals(1, store.outcomes(RecipientState.DELIVERED));
      assertEquals(0, store.outcomes(RecipientState.FAILED));
    }
  }
}
