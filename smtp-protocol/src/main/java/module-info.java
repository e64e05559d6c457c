/** The SMTP codec: addresses, commands, replies, EHLO capabilities, message data and DSN. No I/O. */
module org.relaymail.protocol {
  exports org.relaymail.protocol;
}
