package org.relaymail.queue;

import java.nio.file.Path;
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
}
