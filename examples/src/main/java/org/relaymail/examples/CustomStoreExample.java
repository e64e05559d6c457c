package org.relaymail.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.relaymail.queue.FileQueueStore;
import org.relaymail.queue.RecipientState;
import org.relaymail.relay.DeliveryReport;
import org.relaymail.relay.OutgoingMessage;
import org.relaymail.relay.RelayClient;
import org.relaymail.relay.Routing;
import org.relaymail.relay.Smarthost;
import org.relaymail.relay.TlsPolicy;

/** Plugs the custom {@link MeteredQueueStore} into a {@link RelayClient} and prints its counters. */
public final class CustomStoreExample {
  private CustomStoreExample() {}

  /**
   * Relays one message through a smarthost with the custom store.
   *
   * @param spool where the wrapped file store keeps the messages
   * @param smarthostHost the smarthost
   * @param smarthostPort its port
   * @return the store after the relay closed (its counters)
   * @throws Exception on failure
   */
  public static MeteredQueueStore run(Path spool, String smarthostHost, int smarthostPort)
      throws IOException, ExecutionException, TimeoutException, InterruptedException {
    // tag::plug[]
    MeteredQueueStore store = new MeteredQueueStore(FileQueueStore.open(spool));
    try (store;
        RelayClient relay = RelayClient.builder()
            .store(store)                     // the relay uses it; the application closes it
            .heloName("mail.example.com")
            .routing(Routing.builder()
                .smarthost(Smarthost.of(smarthostHost, smarthostPort).withTls(TlsPolicy.NONE))
                .build())
            .build()) {
      DeliveryReport report = relay.send(OutgoingMessage.builder()
              .sender("app@example.com")
              .recipient("alice@example.org")
              .content("From: <app@example.com>\r\nSubject: metered\r\n\r\nHi.\r\n"
                  .getBytes(StandardCharsets.US_ASCII))
              .build())
          .outcome().get(2, TimeUnit.MINUTES);
      System.out.println("delivered: " + report.allDelivered()
          + ", enqueued " + store.enqueued()
          + ", delivered outcomes " + store.outcomes(RecipientState.DELIVERED));
    }
    // end::plug[]
    return store;
  }

  /**
   * Command-line entry.
   *
   * @param args spool directory, smarthost host, smarthost port
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: CustomStoreExample SPOOL_DIR SMARTHOST PORT");
      System.exit(2);
    }
    run(Path.of(args[0]), args[1], Integer.parseInt(args[2]));
  }
}
