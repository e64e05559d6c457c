/**
 * Test peers for relaymail's own tests, its demo and users' tests: a scriptable SMTP server, a DNS
 * server serving declared zones, and launchers for Postfix's {@code smtp-sink} and a private
 * Postfix {@code smtpd}. Everything binds to loopback addresses only and is stopped by {@code close()}.
 */
package org.relaymail.testsupport;
