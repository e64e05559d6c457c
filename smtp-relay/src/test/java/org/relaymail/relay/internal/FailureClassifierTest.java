package org.relaymail.relay.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.stream.Stream;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.FailureClass;

class FailureClassifierTest {

  /** Real reply texts as providers and common MTAs send them (IPs replaced). */
  static Stream<Arguments> replies() {
    return Stream.of(
        // Gmail
        a(550, FailureClass.UNKNOWN_RECIPIENT, "5.1.1 The email account that you tried to reach does not exist. Please try",
            "5.1.1 double-checking the recipient's email address for typos or"),
        a(552, FailureClass.MAILBOX_FULL, "5.2.2 The email account that you tried to reach is over quota and inactive."),
        a(452, FailureClass.MAILBOX_FULL, "4.2.2 The email account that you tried to reach is over quota."),
        a(552, FailureClass.MESSAGE_TOO_LARGE, "5.3.4 Your message exceeded Google's message size limits."),
        a(450, FailureClass.THROTTLED, "4.2.1 The user you are trying to contact is receiving mail at a rate that",
            "4.2.1 prevents additional messages from being delivered. Please resend your",
            "4.2.1 message at a later time."),
        a(421, FailureClass.THROTTLED, "4.7.28 [192.0.2.1] Our system has detected an unusual rate of",
            "4.7.28 unsolicited mail originating from your IP address."),
        a(550, FailureClass.POLICY, "5.7.26 This mail has been blocked because the sender is unauthenticated.",
            "5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM."),
        a(550, FailureClass.POLICY, "5.7.1 [192.0.2.1] The IP you're using to send mail is not authorized to",
            "5.7.1 send email directly to our servers."),
        // Microsoft
        a(550, FailureClass.BLOCKED_REPUTATION, "5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact"
            + " your Internet service provider since part of their network is on our block list (S3150)."),
        a(550, FailureClass.BLOCKED_REPUTATION, "5.7.606 Access denied, banned sending IP [192.0.2.1]."),
        a(550, FailureClass.UNKNOWN_RECIPIENT, "5.5.0 Requested action not taken: mailbox unavailable (S2017)"),
        a(550, FailureClass.UNKNOWN_RECIPIENT, "5.4.1 Recipient address rejected: Access denied. AS(201806281)"),
        a(451, FailureClass.THROTTLED, "4.7.500 Server busy. Please try again later from [192.0.2.1]. (S77714)"),
        // Yahoo / AOL
        a(421, FailureClass.THROTTLED, "4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected"
            + " volume or user complaints"),
        a(554, FailureClass.POLICY, "5.7.9 Message not accepted for policy reasons."),
        a(552, FailureClass.UNKNOWN_RECIPIENT, "1 Requested mail action aborted, mailbox not found"),
        // Postfix
        a(550, FailureClass.UNKNOWN_RECIPIENT, "5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in"
            + " local recipient table"),
        a(554, FailureClass.BLOCKED_REPUTATION, "5.7.1 Service unavailable; Client host [192.0.2.1] blocked using"
            + " zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1"),
        a(450, FailureClass.THROTTLED, "4.2.0 <someone@example.com>: Recipient address rejected: Greylisted, see"
            + " https://postgrey.schweikert.ch/help/example.com.html"),
        a(452, FailureClass.THROTTLED, "4.5.3 Error: too many recipients"),
        a(552, FailureClass.MESSAGE_TOO_LARGE, "5.3.4 Message size exceeds fixed limit"),
        a(554, FailureClass.POLICY, "5.7.1 <a@b.example>: Relay access denied"),
        a(530, FailureClass.TLS_FAILURE, "5.7.0 Must issue a STARTTLS command first"),
        a(454, FailureClass.TLS_FAILURE, "4.7.0 TLS not available due to local problem"),
        a(451, FailureClass.DNS_FAILURE, "4.4.4 Unable to route"),
        // Exim, Sendmail, others
        a(550, FailureClass.UNKNOWN_RECIPIENT, "No Such User Here"),
        a(550, FailureClass.UNKNOWN_RECIPIENT, "Unrouteable address"),
        a(552, FailureClass.MESSAGE_TOO_LARGE, "Message size exceeds maximum permitted"),
        a(452, FailureClass.MAILBOX_FULL, "4.2.2 Mailbox full"),
        a(421, FailureClass.THROTTLED, "Too many concurrent SMTP connections from this IP address; please try again later."),
        a(550, FailureClass.BLOCKED_REPUTATION, "5.7.1 Your IP 192.0.2.1 is listed on bl.spamcop.net"),
        a(554, FailureClass.BLOCKED_REPUTATION, "Your access to this mail system has been rejected due to the sending"
            + " MTA's poor reputation."),
        a(451, FailureClass.THROTTLED, "4.7.1 Please try again later"),
        a(550, FailureClass.POLICY, "5.7.1 Message rejected as spam by Content Filtering."),
        a(554, FailureClass.MESSAGE_TOO_LARGE, "5.3.4 Message too big for system"),
        // By code or enhanced status alone
        a(550, FailureClass.UNKNOWN_RECIPIENT, "5.1.10 Recipient address has null MX"),
        a(554, FailureClass.TIMEOUT, "5.4.7 Delivery time expired"),
        a(451, FailureClass.DNS_FAILURE, "4.4.3 Temporary lookup failure"),
        a(421, FailureClass.CONNECTION_FAILURE, "4.4.2 Connection dropped"),
        a(451, FailureClass.OTHER, "4.3.0 Local error in processing"),
        a(451, FailureClass.OTHER, "Requested action aborted: local error in processing"),
        a(552, FailureClass.MAILBOX_FULL, "Requested mail action aborted: exceeded storage allocation"),
        a(553, FailureClass.UNKNOWN_RECIPIENT, "Requested action not taken: mailbox name not allowed"),
        a(554, FailureClass.POLICY, "Transaction failed"),
        a(421, FailureClass.OTHER, "mx.example.com Service not available, closing transmission channel"),
        a(250, FailureClass.OTHER, "2.0.0 Ok"));
  }

  private static Arguments a(int code, FailureClass expected, String... lines) {
    return Arguments.of(code, expected, (Object) lines);
  }

  @ParameterizedTest(name = "{0} {2} -> {1}")
  @MethodSource("replies")
  void classifiesRealReplies(int code, FailureClass expected, String[] lines) {
    SmtpReply reply = SmtpReply.of(code, lines);
    assertEquals(expected, FailureClassifier.classify(reply), reply.toString());
  }

  static Stream<Arguments> exceptions() {
    return Stream.of(
        Arguments.of(new ConnectException("Connection refused"), FailureClass.CONNECTION_FAILURE),
        Arguments.of(new SocketTimeoutException("connect timed out"), FailureClass.TIMEOUT),
        Arguments.of(new IOException("read failed", new SocketTimeoutException("Read timed out")), FailureClass.TIMEOUT),
        Arguments.of(new SSLHandshakeException("PKIX path building failed"), FailureClass.TLS_FAILURE),
        Arguments.of(new IOException("STARTTLS", new SSLHandshakeException("no cipher suites")), FailureClass.TLS_FAILURE),
        Arguments.of(new UnknownHostException("mx.nowhere.example"), FailureClass.DNS_FAILURE),
        Arguments.of(new SocketException("Connection reset"), FailureClass.CONNECTION_FAILURE),
        Arguments.of(new EOFException("connection closed by peer"), FailureClass.CONNECTION_FAILURE),
        Arguments.of(new IOException("something odd"), FailureClass.CONNECTION_FAILURE),
        Arguments.of(new IllegalStateException("bug"), FailureClass.OTHER));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("exceptions")
  void classifiesTransportErrors(Throwable t, FailureClass expected) {
    assertEquals(expected, FailureClassifier.classify(t));
  }
}
