package org.relaymail.relay.internal;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.relaymail.protocol.EnhancedStatus;
import org.relaymail.protocol.SmtpReply;
import org.relaymail.queue.FailureClass;

/**
 * Classifies a failed delivery into a {@link FailureClass}: from an SMTP reply (reply text of
 * common providers first, then the enhanced status code of RFC 3463 / RFC 5248, then the basic
 * reply code) or from a transport exception (its cause chain). Stateless and thread-safe.
 */
public final class FailureClassifier {
  private FailureClassifier() {}

  private record Rule(Pattern pattern, FailureClass failureClass, boolean permanentOnly) {}

  private static Rule rule(String regex, FailureClass c) {
    return new Rule(Pattern.compile(regex), c, false);
  }

  /**
   * Text rules, tried in order on the lower-cased reply text. Block lists come first: their
   * replies often also say "try again later" or carry a generic 5.7.1.
   */
  private static final List<Rule> TEXT_RULES =
      List.of(
          // Sender authentication (RFC 7208, RFC 6376, RFC 7489) is policy even when "blocked".
          rule("unauthenticated|dmarc|\\bspf\\b|dkim|sender policy framework", FailureClass.POLICY),
          rule(
              "spamhaus|spamcop|barracuda|sorbs|uceprotect|surbl|senderscore|dnsbl|\\brbl\\b"
                  + "|block ?list|black ?list|blocked using|listed (at|on|in|by)|is listed"
                  + "|\\bblocked\\b|poor reputation|bad reputation|low reputation|ip reputation"
                  + "|banned sending ip|banned sender|\\bbanned\\b",
              FailureClass.BLOCKED_REPUTATION),
          rule(
              "over quota|quota exceeded|exceeded (its|the|their)? ?(storage|quota)|mailbox (is )?full"
                  + "|mailbox size limit|insufficient (disk )?space in|storage allocation",
              FailureClass.MAILBOX_FULL),
          rule(
              "message (is )?too (large|big)|size exceeds|exceeds (the )?(maximum|size|message size)"
                  + "|message size limit|message exceeded .*size|too much mail data|message length exceeds",
              FailureClass.MESSAGE_TOO_LARGE),
          new Rule(
              Pattern.compile(
                  "user unknown|unknown user|no such (user|mailbox|recipient|account)"
                      + "|does not exist|doesn't exist|mailbox not found|mailbox unavailable"
                      + "|unknown (recipient|mailbox)|invalid (recipient|mailbox|address)"
                      + "|recipient (address )?rejected: (access denied|user unknown)"
                      + "|unrouteable address|not a valid mailbox|no mailbox here|account (has been )?disabled"
                      + "|mailbox (is )?disabled|address rejected|user not found|recipient not found"),
              FailureClass.UNKNOWN_RECIPIENT,
              true),
          rule(
              "rate limit|rate-limit|ratelimit|too many (connections|messages|recipients|concurrent|emails)"
                  + "|try again later|temporarily deferred|throttl|unusual rate|greylist|graylist"
                  + "|exceeded the (rate|limit)|sending limit|too fast|slow down|unexpected volume",
              FailureClass.THROTTLED),
          rule(
              "starttls|tls (is )?required|must issue a starttls|encryption (is )?required"
                  + "|tls not available|ssl required",
              FailureClass.TLS_FAILURE),
          rule(
              "not authorized|authentication required|relay(ing)? (access )?denied"
                  + "|policy|spam|content rejected|access denied",
              FailureClass.POLICY));

  /**
   * Classifies a negative SMTP reply.
   *
   * @param reply a 4xx or 5xx reply (a positive reply classifies as {@link FailureClass#OTHER})
   * @return the class
   */
  public static FailureClass classify(SmtpReply reply) {
    if (!reply.isTransient() && !reply.isPermanent()) {
      return FailureClass.OTHER;
    }
    String text = String.join(" ", reply.lines()).toLowerCase(Locale.ROOT);
    for (Rule r : TEXT_RULES) {
      if (r.permanentOnly() && !reply.isPermanent()) {
        continue;
      }
      if (r.pattern().matcher(text).find()) {
        return r.failureClass();
      }
    }
    Optional<EnhancedStatus> status = reply.enhancedStatus();
    if (status.isPresent()) {
      FailureClass c = byStatus(status.get());
      if (c != null) {
        return c;
      }
    }
    return byCode(reply.code());
  }

  /**
   * Classifies an enhanced status code alone (RFC 3463 section 3, RFC 5248 registry).
   *
   * @param status the status
   * @return the class, {@link FailureClass#OTHER} when the code says nothing specific
   */
  public static FailureClass classify(EnhancedStatus status) {
    FailureClass c = byStatus(status);
    return c == null ? FailureClass.OTHER : c;
  }

  private static FailureClass byStatus(EnhancedStatus s) {
    int subject = s.subject();
    int detail = s.detail();
    switch (subject) {
      case 1:
        // 1.1 bad mailbox, 1.2 bad system, 1.3 bad syntax, 1.6 moved, 1.10 null MX
        if (detail == 1 || detail == 2 || detail == 3 || detail == 6 || detail == 10) {
          return FailureClass.UNKNOWN_RECIPIENT;
        }
        return null;
      case 2:
        if (detail == 1) {
          return s.statusClass() == 5 ? FailureClass.UNKNOWN_RECIPIENT : FailureClass.THROTTLED;
        }
        if (detail == 2) {
          return FailureClass.MAILBOX_FULL;
        }
        if (detail == 3) {
          return FailureClass.MESSAGE_TOO_LARGE;
        }
        return null;
      case 3:
        return detail == 4 ? FailureClass.MESSAGE_TOO_LARGE : null;
      case 4:
        switch (detail) {
          case 1:
          case 2:
            return FailureClass.CONNECTION_FAILURE;
          case 3:
          case 4:
            return FailureClass.DNS_FAILURE;
          case 5:
            return FailureClass.THROTTLED;
          case 7:
            return FailureClass.TIMEOUT;
          default:
            return null;
        }
      case 5:
        return detail == 3 ? FailureClass.THROTTLED : null;
      case 7:
        switch (detail) {
          case 5:
          case 10:
          case 11:
            return FailureClass.TLS_FAILURE;
          case 28:
            return FailureClass.THROTTLED;
          default:
            return FailureClass.POLICY;
        }
      default:
        return null;
    }
  }

  private static FailureClass byCode(int code) {
    switch (code) {
      case 421:
      case 450:
      case 451:
        return FailureClass.OTHER;
      case 552:
        return FailureClass.MAILBOX_FULL; // RFC 5321: "exceeded storage allocation"
      case 550:
      case 553:
        return FailureClass.UNKNOWN_RECIPIENT; // "mailbox unavailable", "mailbox name not allowed"
      case 530:
      case 554:
        return FailureClass.POLICY;
      default:
        return FailureClass.OTHER;
    }
  }

  /**
   * Classifies a transport failure by the first recognised exception in its cause chain.
   *
   * @param failure the exception a delivery attempt ended with
   * @return the class
   */
  public static FailureClass classify(Throwable failure) {
    int depth = 0;
    for (Throwable t = failure; t != null && depth < 16; t = t.getCause(), depth++) {
      if (t instanceof SSLException || t instanceof CertificateException) {
        return FailureClass.TLS_FAILURE;
      }
      if (t instanceof UnknownHostException) {
        return FailureClass.DNS_FAILURE;
      }
      if (t instanceof SocketTimeoutException || t instanceof TimeoutException) {
        return FailureClass.TIMEOUT;
      }
      if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
        return FailureClass.CONNECTION_FAILURE;
      }
      String name = t.getClass().getSimpleName();
      if (name.contains("Tls") || name.contains("StartTls")) {
        return FailureClass.TLS_FAILURE;
      }
      if (name.contains("Timeout")) {
        return FailureClass.TIMEOUT;
      }
    }
    int again = 0;
    for (Throwable t = failure; t != null && again < 16; t = t.getCause(), again++) {
      if (t instanceof SocketException || t instanceof java.io.EOFException) {
        return FailureClass.CONNECTION_FAILURE;
      }
    }
    return failure instanceof java.io.IOException ? FailureClass.CONNECTION_FAILURE : FailureClass.OTHER;
  }
}
