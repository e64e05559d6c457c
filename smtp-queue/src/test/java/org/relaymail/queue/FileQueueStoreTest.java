package org.relaymail.queue;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on {@link FileQueueStore} on the real disk (small segments, so compaction runs). */
class FileQueueStoreTest extends QueueStoreContractTest {
  @TempDir
  Path dir;

  @Override
  protected QueueStore createStore() throws Exception {
    return FileQueueStore.builder(dir.resolve("spool")).segmentSize(64 * 1024).minFreeBytes(0).open();
  }

  @Override
  protected QueueStore reopen(QueueStore current) throws Exception {
    current.close();
    return createStore();
  }

  @Test
  void saysThatItRecordsABatchOfAttemptsInOneWrite() {
    assertTrue(store.batchesAttemptRecords(), "FileQueueStore writes a recordAttempts batch with one fsync");
    // the default, for stores whose recordAttempts is the entry-by-entry loop
    assertFalse(new InMemoryQueueStore().batchesAttemptRecords());
  }
}
