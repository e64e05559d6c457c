package org.relaymail.client;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Hooks into what the client does: connect, TLS, AUTH, each mail transaction, and pool lease and
 * release, each with start/end/failed. Every method has an empty default; override what you need.
 *
 * <p>A listener must be thread-safe: connections on different threads call it concurrently. A
 * listener that throws never breaks delivery: the exception is logged and ignored. No event carries
 * an AUTH payload, password or token.
 */
public interface SmtpEventListener {
  /** A listener that does nothing. */
  SmtpEventListener NONE = new SmtpEventListener() {};

  /**
   * A TCP connection is about to be opened.
   *
   * @param route the route
   */
  default void connectStart(Route route) {}

  /**
   * The connection is open and the server greeted with 220 (and said EHLO/HELO).
   *
   * @param route the route
   * @param remote the server's address
   */
  default void connectEnd(Route route, InetSocketAddress remote) {}

  /**
   * Opening the connection failed (TCP, greeting, EHLO, TLS or AUTH).
   *
   * @param route the route
   * @param failure what went wrong
   */
  default void connectFailed(Route route, IOException failure) {}

  /**
   * A TLS handshake starts (STARTTLS or implicit).
   *
   * @param route the route
   */
  default void tlsStart(Route route) {}

  /**
   * The TLS handshake completed.
   *
   * @param route the route
   * @param protocol the negotiated protocol, e.g. TLSv1.3
   * @param cipherSuite the negotiated cipher suite
   */
  default void tlsEnd(Route route, String protocol, String cipherSuite) {}

  /**
   * The TLS handshake or STARTTLS failed.
   *
   * @param route the route
   * @param failure what went wrong
   */
  default void tlsFailed(Route route, IOException failure) {}

  /**
   * AUTH starts.
   *
   * @param route the route
   * @param mechanism the SASL mechanism chosen
   */
  default void authStart(Route route, String mechanism) {}

  /**
   * AUTH succeeded (235).
   *
   * @param route the route
   * @param mechanism the mechanism
   */
  default void authEnd(Route route, String mechanism) {}

  /**
   * AUTH failed.
   *
   * @param route the route
   * @param mechanism the mechanism
   * @param failure what went wrong (an {@link SmtpReplyException} for a refusal)
   */
  default void authFailed(Route route, String mechanism, IOException failure) {}

  /**
   * A mail transaction starts (its MAIL command is about to be written).
   *
   * @param route the route
   * @param envelope the envelope of this transaction
   */
  default void transactionStart(Route route, Envelope envelope) {}

  /**
   * A mail transaction has its outcome (delivered or not, per recipient).
   *
   * @param route the route
   * @param result the result
   */
  default void transactionEnd(Route route, TransactionResult result) {}

  /**
   * A mail transaction ended without an outcome: the connection broke, timed out or was closed.
   * Nothing in it was delivered as far as the client knows.
   *
   * @param route the route
   * @param envelope the envelope
   * @param failure what went wrong
   */
  default void transactionFailed(Route route, Envelope envelope, IOException failure) {}

  /**
   * A caller asks the pool for a connection.
   *
   * @param route the route
   */
  default void leaseStart(Route route) {}

  /**
   * The pool handed out a connection.
   *
   * @param route the route
   * @param reused whether it was an existing connection
   */
  default void leaseEnd(Route route, boolean reused) {}

  /**
   * The pool could not hand out a connection (timeout, connect failure, pool closed).
   *
   * @param route the route
   * @param failure what went wrong
   */
  default void leaseFailed(Route route, Exception failure) {}

  /**
   * A connection went back to the pool.
   *
   * @param route the route
   * @param reusable whether it stays open for reuse (false: it was closed)
   */
  default void released(Route route, boolean reusable) {}
}
