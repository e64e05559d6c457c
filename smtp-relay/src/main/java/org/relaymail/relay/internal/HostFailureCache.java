package org.relaymail.relay.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

/**
 * Remembers, for a short time, addresses that could not be reached (connection refused or timed
 * out, greeting failed), so that a dead MX host costs one connect timeout per TTL instead of one
 * per message. Thread-safe.
 */
public final class HostFailureCache {
  private final Cache<InetSocketAddress, String> failures;
  private final boolean enabled;

  /**
   * Creates the cache.
   *
   * @param ttl how long an address is skipped; zero disables the cache
   * @param ticker the time source
   */
  public HostFailureCache(Duration ttl, Ticker ticker) {
    this.enabled = !ttl.isZero();
    this.failures =
        Caffeine.newBuilder()
            .expireAfterWrite(enabled ? ttl : Duration.ofNanos(1))
            .maximumSize(10_000)
            .ticker(ticker)
            .executor(Runnable::run)
            .build();
  }

  /**
   * Records that an address could not be reached.
   *
   * @param address the address and port
   * @param reason why, for logs and explanations
   */
  public void markFailed(InetSocketAddress address, String reason) {
    if (enabled) {
      failures.put(address, reason);
    }
  }

  /**
   * Records that an address answered; it is no longer skipped.
   *
   * @param address the address and port
   */
  public void markReachable(InetSocketAddress address) {
    failures.invalidate(address);
  }

  /**
   * Returns why an address is being skipped.
   *
   * @param address the address and port
   * @return the recorded reason, empty when the address may be tried
   */
  public Optional<String> failure(InetSocketAddress address) {
    return Optional.ofNullable(failures.getIfPresent(address));
  }
}
