package org.relaymail.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.relaymail.relay.DeliveryEvent;
import org.relaymail.relay.DeliveryReport;
import org.relaymail.relay.DnsSettings;
import org.relaymail.relay.OutgoingMessage;
import org.relaymail.relay.RelayClient;
import org.relaymail.relay.RelayListener;
import org.relaymail.relay.Routing;
import org.relaymail.relay.SendReceipt;

/**
 * Relays one message by MX with {@link RelayClient}: queued durably in a spool directory, routed
 * by the recipients' MX records (RFC 5321 section 5.1), retried per the retry policy, and a bounce
 * (RFC 3464) sent back to the sender for a recipient that fails. A {@link RelayListener} prints
 * every outcome. The README's second quick start is taken from this file.
 *
 * <p>Run: {@code java -cp ... org.relaymail.examples.RelayExample SPOOL_DIR DNS_IP DNS_PORT MX_PORT}.
 */
public final class RelayExample {
  private RelayExample() {}

  /**
   * Queues the example message and waits for its final outcome.
   *
   * @param spool the spool directory (created if missing)
   * @param dns where the relay asks for MX records
   * @param mxPort the port of the MX hosts (25 on the Internet)
   * @param out where the outcomes are printed
   * @return the final outcome
   * @throws IOException if the spool cannot be opened or the message cannot be queued
   * @throws ExecutionException if delivery ended abnormally
   * @throws TimeoutException if the outcome takes longer than two minutes
   * @throws InterruptedException if interrupted while waiting
   */
  public static DeliveryReport run(Path spool, DnsSettings dns, int mxPort, PrintStream out)
      throws IOException, ExecutionException, TimeoutException, InterruptedException {
    // tag::relay[]
    RelayListener printer = new RelayListener() {
      @Override
      public void onDelivered(DeliveryEvent e) {
        out.println("delivered " + e.recipient() + " by " + e.relay().orElse("?"));
      }

      @Override
      public void onDeferred(DeliveryEvent e) {
        out.println("deferred " + e.recipient() + " (" + e.failureClass().orElseThrow().description()
            + "): " + e.reply().map(Object::toString).orElse(""));
      }

      @Override
      public void onBounced(DeliveryEvent e) {
        out.println("bounced " + e.recipient() + " (" + e.failureClass().orElseThrow().description()
            + "): " + e.reply().map(Object::toString).orElse(""));
      }
    };
    QueueDrain drain = new QueueDrain();                      // see below: lets the bounce go out
    try (RelayClient relay = RelayClient.builder()
            .spoolDirectory(spool)                              // the embedded default store
            .heloName("mail.example.com")                       // your FQDN, with matching PTR/SPF
            .dns(dns)                                           // omit for the system's resolvers
            .routing(Routing.builder().mxPort(mxPort).build())  // omit for direct MX on port 25
            .listener(printer)
            .listener(drain)
            .build()) {
      byte[] content = ("From: <app@example.com>\r\n"
          + "To: <alice@example.org>, <nobody@example.org>\r\n"
          + "Subject: Your order has shipped\r\n"
          + "\r\n"
          + "It is on its way.\r\n").getBytes(StandardCharsets.UTF_8);
      SendReceipt receipt = relay.send(OutgoingMessage.builder()
          .sender("app@example.com")
          .recipient("alice@example.org")
          .recipient("nobody@example.org")
          .content(content)
          .build());                                  // returns once the message is on disk
      out.println("queued as " + receipt.queueId());
      DeliveryReport report = receipt.outcome().get(2, TimeUnit.MINUTES);
      out.println("done: " + report.delivered().size() + " delivered, "
          + report.undelivered().size() + " returned to the sender");
      drain.await(relay, Duration.ofMinutes(1));   // a short-lived program: the bounce leaves first
      return report;
    }
    // end::relay[]
  }

  /**
   * Waits, before a short-lived program closes its relay, until the queue is empty: the bounces
   * queued for failed recipients are delivered too. A long-running application does not need it.
   * Thread-safe.
   */
  static final class QueueDrain implements RelayListener {
    private final Object lock = new Object();

    @Override
    public void onCompleted(DeliveryReport report) {
      synchronized (lock) {
        lock.notifyAll();
      }
    }

    void await(RelayClient relay, Duration timeout) throws IOException, InterruptedException, TimeoutException {
      long deadline = System.nanoTime() + timeout.toNanos();
      synchronized (lock) {
        while (relay.counts().messages() > 0) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new TimeoutException("the queue still holds " + relay.counts().messages() + " messages");
          }
          lock.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 500)));
        }
      }
    }
  }

  /**
   * Command-line entry.
   *
   * @param args spool directory, DNS server address, DNS port, MX port
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: RelayExample SPOOL_DIR DNS_IP DNS_PORT MX_PORT");
      System.exit(2);
    }
    DnsSettings dns = DnsSettings.builder()
        .server(new java.net.InetSocketAddress(args[1], Integer.parseInt(args[2]))).build();
    run(Path.of(args[0]), dns, Integer.parseInt(args[3]), System.out);
  }
}
