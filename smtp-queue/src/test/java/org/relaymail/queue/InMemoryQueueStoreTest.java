package org.relaymail.queue;

/** Runs the store contract on {@link InMemoryQueueStore}; a restart keeps the same instance. */
class InMemoryQueueStoreTest extends QueueStoreContractTest {
  @Override
  protected QueueStore createStore() {
    return new InMemoryQueueStore();
  }

  @Override
  protected QueueStore reopen(QueueStore current) {
    return current; // nothing survives a real restart; the contract's restart checks run on the same object
  }
}
