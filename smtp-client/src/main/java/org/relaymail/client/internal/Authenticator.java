package org.relaymail.client.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.relaymail.client.Credentials;
import org.relaymail.client.Route;
import org.relaymail.client.SmtpClientException;
import org.relaymail.client.SmtpEventListener;
import org.relaymail.client.SmtpReplyException;
import org.relaymail.protocol.SmtpReply;

/**
 * SMTP AUTH (RFC 4954) written for this client: PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195) and
 * XOAUTH2, all in UTF-8. Only 235 is success. An initial response that would make the command line
 * longer than 500 octets is sent after the 334 challenge instead (RFC 4954 section 4). Nothing here
 * is logged: payloads hold secrets. Stateless.
 */
public final class Authenticator {
  private static final int MAX_INITIAL_LINE = 500;

  private Authenticator() {}

  /**
   * Chooses a mechanism that both sides allow.
   *
   * @param offered the server's AUTH mechanisms
   * @param creds the credentials
   * @param encrypted whether the connection has TLS (prefers CRAM-MD5 over plain text otherwise)
   * @return the mechanism, or {@code null} when there is none in common
   */
  public static String choose(Set<String> offered, Credentials creds, boolean encrypted) {
    List<String> order =
        encrypted
            ? List.of("XOAUTH2", "PLAIN", "LOGIN", "CRAM-MD5")
            : List.of("XOAUTH2", "CRAM-MD5", "PLAIN", "LOGIN");
    for (String m : order) {
      if (creds.mechanisms().contains(m) && containsIgnoreCase(offered, m)) {
        return m;
      }
    }
    return null;
  }

  private static boolean containsIgnoreCase(Set<String> set, String m) {
    for (String s : set) {
      if (s.equalsIgnoreCase(m)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Authenticates.
   *
   * @param t the transport
   * @param route the route (for errors and events)
   * @param creds the credentials
   * @param mechanism the chosen mechanism
   * @param timeout reply timeout
   * @param listener events
   * @throws IOException {@link SmtpReplyException} (stage AUTH) when refused
   */
  public static void authenticate(
      SmtpTransport t,
      Route route,
      Credentials creds,
      String mechanism,
      Duration timeout,
      SmtpEventListener listener)
      throws IOException {
    listener.authStart(route, mechanism);
    try {
      SmtpReply last =
          switch (mechanism) {
            case "PLAIN" -> plain(t, creds, timeout);
            case "LOGIN" -> login(t, creds, timeout);
            case "CRAM-MD5" -> cramMd5(t, creds, timeout);
            case "XOAUTH2" -> xoauth2(t, creds, timeout);
            default -> throw new IllegalArgumentException("unsupported mechanism " + mechanism);
          };
      if (last.code() != 235) {
        throw new SmtpReplyException(
            route.host(), route.port(), SmtpReplyException.Stage.AUTH, last);
      }
      listener.authEnd(route, mechanism);
    } catch (IOException e) {
      listener.authFailed(route, mechanism, e);
      throw e;
    }
  }

  private static SmtpReply send(SmtpTransport t, String line, Duration timeout) throws IOException {
    t.write(line.getBytes(StandardCharsets.US_ASCII));
    t.write(new byte[] {'\r', '\n'});
    t.flush();
    return t.readReply(timeout);
  }

  private static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  private static SmtpReply withInitialResponse(
      SmtpTransport t, String mechanism, byte[] response, Duration timeout) throws IOException {
    String encoded = b64(response);
    Arrays.fill(response, (byte) 0);
    if (("AUTH " + mechanism + " " + encoded).length() <= MAX_INITIAL_LINE) {
      return send(t, "AUTH " + mechanism + " " + (encoded.isEmpty() ? "=" : encoded), timeout);
    }
    SmtpReply r = send(t, "AUTH " + mechanism, timeout);
    if (r.code() != 334) {
      return r;
    }
    return send(t, encoded, timeout);
  }

  private static SmtpReply plain(SmtpTransport t, Credentials c, Duration timeout)
      throws IOException {
    byte[] user = c.username().getBytes(StandardCharsets.UTF_8);
    byte[] pass = utf8(c.password());
    byte[] msg = new byte[user.length + pass.length + 2];
    System.arraycopy(user, 0, msg, 1, user.length);
    System.arraycopy(pass, 0, msg, user.length + 2, pass.length);
    Arrays.fill(pass, (byte) 0);
    return withInitialResponse(t, "PLAIN", msg, timeout);
  }

  private static SmtpReply login(SmtpTransport t, Credentials c, Duration timeout)
      throws IOException {
    SmtpReply r = send(t, "AUTH LOGIN", timeout);
    if (r.code() != 334) {
      return r;
    }
    r = send(t, b64(c.username().getBytes(StandardCharsets.UTF_8)), timeout);
    if (r.code() != 334) {
      return r;
    }
    byte[] pass = utf8(c.password());
    String encoded = b64(pass);
    Arrays.fill(pass, (byte) 0);
    return send(t, encoded, timeout);
  }

  private static SmtpReply cramMd5(SmtpTransport t, Credentials c, Duration timeout)
      throws IOException {
    SmtpReply r = send(t, "AUTH CRAM-MD5", timeout);
    if (r.code() != 334) {
      return r;
    }
    byte[] challenge;
    try {
      challenge = Base64.getDecoder().decode(r.lines().get(0).trim());
    } catch (IllegalArgumentException e) {
      send(t, "*", timeout); // cancel the exchange (RFC 4954 section 4)
      throw new SmtpClientException(
          t.getRemoteAddress().getHostAddress(),
          t.getRemotePort(),
          "CRAM-MD5 challenge is not base64",
          e);
    }
    byte[] pass = utf8(c.password());
    byte[] digest;
    try {
      Mac mac = Mac.getInstance("HmacMD5");
      mac.init(new SecretKeySpec(pass.length == 0 ? new byte[1] : pass, "HmacMD5"));
      digest = mac.doFinal(challenge);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no HmacMD5", e);
    } finally {
      Arrays.fill(pass, (byte) 0);
    }
    StringBuilder hex = new StringBuilder(c.username()).append(' ');
    for (byte b : digest) {
      hex.append(Character.forDigit((b >> 4) & 15, 16)).append(Character.forDigit(b & 15, 16));
    }
    return send(t, b64(hex.toString().getBytes(StandardCharsets.UTF_8)), timeout);
  }

  private static SmtpReply xoauth2(SmtpTransport t, Credentials c, Duration timeout)
      throws IOException {
    String payload = "user=" + c.username() + "\u0001auth=Bearer " + c.token() + "\u0001\u0001";
    SmtpReply r =
        withInitialResponse(t, "XOAUTH2", payload.getBytes(StandardCharsets.UTF_8), timeout);
    if (r.code() == 334) {
      // the server sent an error description (base64 JSON); an empty line ends the exchange
      // and the server then answers with the real failure (535 or similar)
      r = send(t, "", timeout);
    }
    return r;
  }

  private static byte[] utf8(char[] chars) {
    ByteBuffer bb = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
    byte[] out = new byte[bb.remaining()];
    bb.get(out);
    if (bb.hasArray()) {
      Arrays.fill(bb.array(), (byte) 0);
    }
    Arrays.fill(chars, '\0');
    return out;
  }
}
