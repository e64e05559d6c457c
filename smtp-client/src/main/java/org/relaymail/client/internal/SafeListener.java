package org.relaymail.client.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import org.relaymail.client.Envelope;
import org.relaymail.client.Route;
import org.relaymail.client.SmtpEventListener;
import org.relaymail.client.TransactionResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls a user's listener and makes sure it never breaks delivery: anything it throws is logged
 * and dropped. Thread-safe when the wrapped listener is.
 */
public final class SafeListener implements SmtpEventListener {
  private static final Logger LOG = LoggerFactory.getLogger(SafeListener.class);
  private final SmtpEventListener l;

  private SafeListener(SmtpEventListener l) {
    this.l = l;
  }

  /**
   * @param l a listener
   * @return it, wrapped (or itself when already wrapped)
   */
  public static SmtpEventListener wrap(SmtpEventListener l) {
    return l instanceof SafeListener ? l : new SafeListener(l);
  }

  private void run(String event, Runnable r) {
    try {
      r.run();
    } catch (RuntimeException | Error e) {
      if (e instanceof VirtualMachineError) {
        throw (Error) e;
      }
      LOG.warn("event listener threw in {}; ignored so that delivery goes on", event, e);
    }
  }

  @Override
  public void connectStart(Route route) {
    run("connectStart", () -> l.connectStart(route));
  }

  @Override
  public void connectEnd(Route route, InetSocketAddress remote) {
    run("connectEnd", () -> l.connectEnd(route, remote));
  }

  @Override
  public void connectFailed(Route route, IOException failure) {
    run("connectFailed", () -> l.connectFailed(route, failure));
  }

  @Override
  public void tlsStart(Route route) {
    run("tlsStart", () -> l.tlsStart(route));
  }

  @Override
  public void tlsEnd(Route route, String protocol, String cipherSuite) {
    run("tlsEnd", () -> l.tlsEnd(route, protocol, cipherSuite));
  }

  @Override
  public void tlsFailed(Route route, IOException failure) {
    run("tlsFailed", () -> l.tlsFailed(route, failure));
  }

  @Override
  public void authStart(Route route, String mechanism) {
    run("authStart", () -> l.authStart(route, mechanism));
  }

  @Override
  public void authEnd(Route route, String mechanism) {
    run("authEnd", () -> l.authEnd(route, mechanism));
  }

  @Override
  public void authFailed(Route route, String mechanism, IOException failure) {
    run("authFailed", () -> l.authFailed(route, mechanism, failure));
  }

  @Override
  public void transactionStart(Route route, Envelope envelope) {
    run("transactionStart", () -> l.transactionStart(route, envelope));
  }

  @Override
  public void transactionEnd(Route route, TransactionResult result) {
    run("transactionEnd", () -> l.transactionEnd(route, result));
  }

  @Override
  public void transactionFailed(Route route, Envelope envelope, IOException failure) {
    run("transactionFailed", () -> l.transactionFailed(route, envelope, failure));
  }

  @Override
  public void leaseStart(Route route) {
    run("leaseStart", () -> l.leaseStart(route));
  }

  @Override
  public void leaseEnd(Route route, boolean reused) {
    run("leaseEnd", () -> l.leaseEnd(route, reused));
  }

  @Override
  public void leaseFailed(Route route, Exception failure) {
    run("leaseFailed", () -> l.leaseFailed(route, failure));
  }

  @Override
  public void released(Route route, boolean reusable) {
    run("released", () -> l.released(route, reusable));
  }
}
