/** RelayClient: MX routing, delivery workers, retries and bounces. */
module org.relaymail.relay {
  requires transitive org.relaymail.protocol;
  requires transitive org.relaymail.client;
  requires transitive org.relaymail.queue;
  requires org.dnsjava;
  requires com.github.benmanes.caffeine;
  requires org.slf4j;
  requires jdk.net;
  requires static jakarta.mail;
  exports org.relaymail.relay;
}
