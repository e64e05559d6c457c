package org.relaymail.relay;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** Records every event; tests wait on conditions over them. Thread-safe. */
final class RecordingListener implements RelayListener {
  final List<DeliveryEvent> attempts = new CopyOnWriteArrayList<>();
  final List<DeliveryEvent> finals = new CopyOnWriteArrayList<>();
  final List<DeliveryEvent> warnings = new CopyOnWriteArrayList<>();
  final List<DeliveryReport> completed = new CopyOnWriteArrayList<>();

  @Override
  public void onAttempt(DeliveryEvent e) {
    attempts.add(e);
  }

  @Override
  public void onDelivered(DeliveryEvent e) {
    finals.add(e);
  }

  @Override
  public void onBounced(DeliveryEvent e) {
    finals.add(e);
  }

  @Override
  public void onExpired(DeliveryEvent e) {
    finals.add(e);
  }

  @Override
  public void onBounceDropped(DeliveryEvent e) {
    finals.add(e);
  }

  @Override
  public void onDelayWarning(DeliveryEvent e) {
    warnings.add(e);
  }

  @Override
  public void onCompleted(DeliveryReport r) {
    completed.add(r);
  }

  long count(List<DeliveryEvent> list, Predicate<DeliveryEvent> p) {
    return list.stream().filter(p).count();
  }

  static void await(String what, Duration timeout, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      synchronized (condition) {
        condition.wait(20);
      }
    }
  }
}
