package org.relaymail.protocol;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The SMTP smuggling sequences (end-of-data look-alikes with bare CR or LF, SEC Consult 2023) put
 * into message content before a second transaction must leave us as harmless stuffed text: a
 * strict server (our unstuffer) sees one message whose body still contains the smuggled commands,
 * and a lenient server that ended data at any "dot line" would find no dot line either.
 */
class SmtpSmugglingTest {

  private static final String SMUGGLED = "MAIL FROM:<admin@example.com>\r\n"
      + "RCPT TO:<victim@example.net>\r\n"
      + "DATA\r\n"
      + "From: admin@example.com\r\n\r\nsmuggled\r\n";

  /** '|' is CR, '~' is LF. */
  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {
      "~.~", "~.|~", "|.|", "|~.|", "|~.~", "|.~", "|.|~", "~.|", "|~.|~.~", "~..~", "|~.~|~",
      "~.~.|~", "|.~~", "||.||", "~~.~~"
  })
  void smugglingSequenceComesOutAsStuffedText(String sequence) throws IOException {
    String endOfData = sequence.replace('|', '\r').replace('~', '\n');
    String content = "From: a@example.org\r\nSubject: hi\r\n\r\nhello" + endOfData + SMUGGLED;

    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    DotStuffingOutputStream out = new DotStuffingOutputStream(wire);
    out.write(content.getBytes(ISO_8859_1));
    out.finish();
    wire.write("QUIT\r\n".getBytes(ISO_8859_1));
    byte[] sent = wire.toByteArray();
    String sentText = new String(sent, ISO_8859_1);

    // no bare CR or LF on the wire, and the only line that is a lone dot is the real marker
    assertNoBareLineEnding(sent);
    String[] lines = sentText.split("\r\n", -1);
    int loneDots = 0;
    for (String line : lines) {
      if (line.equals(".")) {
        loneDots++;
      }
    }
    assertEquals(1, loneDots, "exactly one end-of-data line in " + escape(sentText));

    // the strict server side sees one message, then QUIT
    InputStream in = new BufferedInputStream(new ByteArrayInputStream(sent));
    DotUnstuffingInputStream data = new DotUnstuffingInputStream(in, 1 << 16);
    String body = new String(data.readAllBytes(), ISO_8859_1);
    assertTrue(body.contains("MAIL FROM:<admin@example.com>\r\nRCPT TO:<victim@example.net>"),
        "the smuggled commands stay in the body: " + escape(body));
    assertTrue(body.endsWith("smuggled\r\n"), escape(body));
    assertEquals(MessageNormalizer.normalize(content.getBytes(ISO_8859_1)).length, body.length(),
        "the body is the CRLF-normalised content");
    assertEquals("QUIT\r\n", new String(in.readAllBytes(), ISO_8859_1));
  }

  static void assertNoBareLineEnding(byte[] wire) {
    for (int i = 0; i < wire.length; i++) {
      if (wire[i] == '\r') {
        assertTrue(i + 1 < wire.length && wire[i + 1] == '\n', "bare CR at " + i);
      } else if (wire[i] == '\n') {
        assertTrue(i > 0 && wire[i - 1] == '\r', "bare LF at " + i);
      }
    }
  }

  static String escape(String s) {
    return s.replace("\r", "\\r").replace("\n", "\\n");
  }
}
