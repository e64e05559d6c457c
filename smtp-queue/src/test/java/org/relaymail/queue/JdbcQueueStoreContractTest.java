package org.relaymail.queue;

import org.junit.jupiter.api.AfterEach;
import org.relaymail.queue.jdbc.TestPool;
import org.relaymail.queue.jdbc.TestPostgres;

/**
 * Runs the store contract on {@link JdbcQueueStore} against a real PostgreSQL, each test in a fresh
 * schema. The contract drives a test clock, so leases follow the caller's clock here
 * ({@link JdbcQueueStore.ClockSource#CALLER}); {@code JdbcQueueStoreConcurrencyTest} covers database
 * clock leases. A restart closes the store and opens a new one on the same tables.
 */
class JdbcQueueStoreContractTest extends QueueStoreContractTest {
  private TestPool pool;

  @Override
  protected QueueStore createStore() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    pool = TestPostgres.pool(pg.dataSource(pg.newSchema()), 12);
    return open(true);
  }

  private JdbcQueueStore open(boolean create) throws Exception {
    return JdbcQueueStore.builder(pool).createSchema(create).clockSource(JdbcQueueStore.ClockSource.CALLER).build();
  }

  @Override
  protected QueueStore reopen(QueueStore current) throws Exception {
    current.close();
    return open(false);
  }

  @AfterEach
  void closePool() {
    if (pool != null) {
      pool.close();
    }
  }
}
