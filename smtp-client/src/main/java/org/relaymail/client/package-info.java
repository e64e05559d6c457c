/**
 * The SMTP client: {@code SmtpConnection} (one conversation, pipelined), {@code SmtpClientPool}
 * (connections keyed by {@code Route}) and {@code SmtpClient}, the simple front door for sending
 * through one smarthost.
 */
package org.relaymail.client;
