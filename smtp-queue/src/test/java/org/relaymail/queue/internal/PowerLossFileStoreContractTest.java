package org.relaymail.queue.internal;

import java.time.Duration;
import java.util.Random;
import org.relaymail.queue.QueueStore;
import org.relaymail.queue.QueueStoreContractTest;

/**
 * The store contract on the file store over {@link PowerLossStorage}: every restart is a power loss
 * (unforced writes dropped, one write torn), and every acknowledged change must survive it. Small
 * segments make compaction run often.
 */
class PowerLossFileStoreContractTest extends QueueStoreContractTest {
  private final PowerLossStorage storage = new PowerLossStorage(new Random(11));

  static FileStoreEngine.Settings settings() {
    return new FileStoreEngine.Settings(16 * 1024, 0, Duration.ofHours(24));
  }

  @Override
  protected QueueStore createStore() throws Exception {
    return FileStoreEngine.open(storage, settings());
  }

  @Override
  protected QueueStore reopen(QueueStore current) throws Exception {
    storage.powerLoss(); // the old engine is abandoned, as a crashed process would be
    return FileStoreEngine.open(storage, settings());
  }
}
