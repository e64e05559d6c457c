package org.relaymail.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.relaymail.client.ConnectionSettings;
import org.relaymail.client.Credentials;
import org.relaymail.client.Envelope;
import org.relaymail.client.MessageContent;
import org.relaymail.client.RecipientResult;
import org.relaymail.client.SmtpClient;
import org.relaymail.client.TlsMode;
import org.relaymail.client.TransactionResult;

/**
 * Sends one message through a smarthost (a submission server, RFC 6409) with {@link SmtpClient}:
 * STARTTLS required and verified (RFC 3207), AUTH (RFC 4954), one transaction, the result per
 * recipient. The README's first quick start is taken from this file.
 *
 * <p>Run: {@code java -cp ... org.relaymail.examples.SmarthostExample HOST PORT USER} with the
 * password in the environment variable {@code SMTP_PASSWORD}.
 */
public final class SmarthostExample {
  private SmarthostExample() {}

  /**
   * Sends the example message.
   *
   * @param host the smarthost
   * @param port its port (587 for STARTTLS)
   * @param user the AUTH user
   * @param password the AUTH password
   * @param settings connection settings (timeouts, the TLS trust to verify the server with)
   * @param out where the per-recipient result is printed
   * @return the result
   * @throws IOException if the smarthost cannot be reached or the session fails
   */
  public static TransactionResult send(
      String host, int port, String user, String password, ConnectionSettings settings, PrintStream out)
      throws IOException {
    // tag::smarthost[]
    try (SmtpClient client = SmtpClient.builder(host, port)
        .tlsMode(TlsMode.REQUIRED_VERIFIED)              // STARTTLS, certificate and host name checked
        .credentials(Credentials.password(user, password))
        .heloName("app.example.com")
        .settings(settings)
        .build()) {
      byte[] message = ("From: Example App <app@example.com>\r\n"
          + "To: <alice@example.org>\r\n"
          + "Cc: <bob@example.org>\r\n"
          + "Subject: Hello from relaymail\r\n"
          + "\r\n"
          + "Sent through a smarthost with SmtpClient.\r\n").getBytes(StandardCharsets.UTF_8);
      TransactionResult result = client.send(
          Envelope.of("app@example.com", "alice@example.org", "bob@example.org"),
          MessageContent.of(message));
      for (RecipientResult r : result.recipients()) {
        out.println(r.recipient() + ": " + r.status() + " " + r.reply());   // ACCEPTED 250 2.0.0 Ok
      }
      return result;
    }
    // end::smarthost[]
  }

  /**
   * Command-line entry.
   *
   * @param args host, port, user (password from {@code SMTP_PASSWORD})
   * @throws IOException on failure
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 3) {
      System.err.println("usage: SmarthostExample HOST PORT USER   (password in $SMTP_PASSWORD)");
      System.exit(2);
    }
    String password = System.getenv().getOrDefault("SMTP_PASSWORD", "");
    send(args[0], Integer.parseInt(args[1]), args[2], password, ConnectionSettings.defaults(), System.out);
  }
}
