package org.relaymail.queue;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Another process (or another store instance in this process) holds the spool directory's lock: one
 * process per spool. The kernel releases the lock when its holder dies, even after {@code kill -9}.
 *
 * <p>Thread-safe (immutable after construction).
 */
public final class SpoolLockedException extends IOException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param lockFile the lock file that is held
   */
  public SpoolLockedException(Path lockFile) {
    super("spool is locked by another process or store instance (one process per spool): " + lockFile);
  }
}
