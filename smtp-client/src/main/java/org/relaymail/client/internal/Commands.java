package org.relaymail.client.internal;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import org.relaymail.client.Envelope;
import org.relaymail.protocol.Mailbox;

/**
 * Formats the client's command lines as bytes. Every variable part is already validated (a
 * {@link Mailbox} path, a HELO name, numbers, xtext), so no CR or LF can reach a command line.
 * Stateless.
 */
public final class Commands {
  private Commands() {}

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * MAIL FROM with parameters (RFC 5321 section 4.1.1.2; SIZE RFC 1870, BODY RFC 6152, SMTPUTF8
   * RFC 6531, RET/ENVID RFC 3461).
   *
   * @param e the envelope
   * @param size SIZE= value, or -1
   * @param eightBit BODY=8BITMIME
   * @param smtpUtf8 SMTPUTF8
   * @param dsn whether to send RET/ENVID
   * @return the line with CRLF
   */
  public static byte[] mail(Envelope e, long size, boolean eightBit, boolean smtpUtf8, boolean dsn) {
    StringBuilder sb = new StringBuilder(64).append("MAIL FROM:").append(e.sender().toPath());
    if (size >= 0) {
      sb.append(" SIZE=").append(size);
    }
    if (eightBit) {
      sb.append(" BODY=8BITMIME");
    }
    if (smtpUtf8) {
      sb.append(" SMTPUTF8");
    }
    if (dsn) {
      e.dsnReturn().ifPresent(r -> sb.append(" RET=").append(r.name()));
      e.envelopeId().ifPresent(id -> sb.append(" ENVID=").append(xtext(id)));
    }
    return utf8(sb.append("\r\n"));
  }

  /**
   * RCPT TO with NOTIFY and ORCPT (RFC 3461 sections 4.1 and 4.2): the original recipient as
   * {@code rfc822;} xtext, so that a DSN names the address the sender used. A non-ASCII original
   * address is left out (its {@code utf-8} type, RFC 6533, is not sent).
   *
   * @param to the recipient
   * @param notify NOTIFY values, or empty
   * @param orcpt the original recipient address, or empty for no ORCPT
   * @return the line with CRLF
   */
  public static byte[] rcpt(Mailbox to, Set<Envelope.DsnNotify> notify, Optional<String> orcpt) {
    StringBuilder sb = new StringBuilder(48).append("RCPT TO:").append(to.toPath());
    if (!notify.isEmpty()) {
      sb.append(" NOTIFY=");
      boolean first = true;
      for (Envelope.DsnNotify n : notify) {
        if (!first) {
          sb.append(',');
        }
        sb.append(n.name());
        first = false;
      }
    }
    if (orcpt.isPresent() && orcpt.get().chars().allMatch(c -> c < 128)) {
      sb.append(" ORCPT=rfc822;").append(xtext(orcpt.get()));
    }
    return utf8(sb.append("\r\n"));
  }

  private static byte[] utf8(StringBuilder sb) {
    // a path is ASCII unless SMTPUTF8 is in use, then UTF-8 (RFC 6531 section 3.3)
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * @param verb a command without argument (DATA, RSET, NOOP, QUIT, HELP)
   * @return the line with CRLF
   */
  public static byte[] simple(String verb) {
    return ascii(verb + "\r\n");
  }

  /**
   * A command with one argument that must be printable and contain no CR or LF.
   *
   * @param verb the verb
   * @param arg the argument
   * @return the line with CRLF
   * @throws IllegalArgumentException if the argument holds a control character
   */
  public static byte[] withArgument(String verb, String arg) {
    if (arg.isEmpty() || arg.chars().anyMatch(c -> c < 32 || c == 127)) {
      throw new IllegalArgumentException(
          verb + " argument must be non-empty without control characters (no CR/LF): '"
              + arg.replace("\r", "\\r").replace("\n", "\\n") + "'");
    }
    return (verb + " " + arg + "\r\n").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * xtext encoding (RFC 3461 section 4).
   *
   * @param s the value
   * @return the encoded value
   */
  public static String xtext(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 33 && c <= 126 && c != '+' && c != '=') {
        sb.append((char) c);
      } else {
        sb.append('+').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      }
    }
    return sb.toString();
  }
}
