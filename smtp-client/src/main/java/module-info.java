/** A pipelined SMTP conversation and a route-keyed connection pool. */
module org.relaymail.client {
  requires transitive org.relaymail.protocol;
  requires org.apache.commons.net;
  requires org.slf4j;
  requires jdk.net;
  exports org.relaymail.client;
}
