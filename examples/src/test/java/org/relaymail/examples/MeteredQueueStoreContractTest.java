package org.relaymail.examples;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.relaymail.queue.FileQueueStore;
import org.relaymail.queue.QueueStore;
import org.relaymail.queue.QueueStoreContractTest;

/**
 * Proves {@link MeteredQueueStore} with the contract suite from smtp-queue's test-jar: every
 * test of {@link QueueStoreContractTest} runs against it (here over a file spool; a restart closes
 * and reopens it on the same directory). Your own store does the same in a few lines.
 */
// tag::contract[]
class MeteredQueueStoreContractTest extends QueueStoreContractTest {
  @TempDir
  Path dir;

  @Override
  protected QueueStore createStore() throws Exception {
    return new MeteredQueueStore(FileQueueStore.open(dir.resolve("spool")));
  }

  @Override
  protected QueueStore reopen(QueueStore current) throws Exception {
    current.close();
    return createStore();
  }
}
// end::contract[]
