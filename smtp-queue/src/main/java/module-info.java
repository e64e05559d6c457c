/** The durable, pluggable retry queue. */
module org.relaymail.queue {
  requires transitive org.relaymail.protocol;
  requires transitive java.sql;
  requires org.slf4j;
  exports org.relaymail.queue;
}
