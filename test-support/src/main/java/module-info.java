/** Test peers on loopback: a scriptable SMTP server, a DNS server, and Postfix launchers. */
module org.relaymail.testsupport {
  requires org.relaymail.protocol;
  requires transitive org.dnsjava;
  requires org.slf4j;
  exports org.relaymail.testsupport;
}
