package org.relaymail.examples.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The demo scenario in small size: 200 messages through the whole pipeline on loopback. */
class DemoScenarioTest {
  @Test
  void everyMessageEndsAsIntendedAndTheReportSaysSo() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);

    DemoScenario.Result r = new DemoScenario(200, Duration.ofMinutes(4), out, false).run();

    String text = buf.toString(StandardCharsets.UTF_8);
    assertTrue(r.ok(), r.problems() + "\n" + text);
    assertEquals(200, r.messages());
    // per 20 messages: 1 unknown user, 1 healthy + unknown user; per 40: 1 null MX; per 100: 1 down
    assertEquals(10 + 10 + 5 + 2, r.bouncesExpected(), text);
    assertEquals(r.bouncesExpected(), r.bouncesReceived(), text);
    assertTrue(text.contains("RESULT: OK"), text);
    assertTrue(text.contains("queued 200/200"), text);
    // 35 greylisted recipients (30 alone, 5 beside a healthy one): each deferred once, then delivered
    assertTrue(text.matches("(?s).*greylist\\.example [^\\n]* 35 +35 +0 +0 +35\\n.*"), text);
    assertTrue(text.contains("unknown recipient"), text);
    assertTrue(text.contains("expired  connection failure"), text);
    assertTrue(text.contains("bounced  DNS failure"), text);
    assertTrue(text.contains("Bounces returned to shop@app.example: 27 received"), text);
  }

  @Test
  void thePlanCoversEveryCase() {
    Set<DemoScenario.Dest> seen = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      seen.addAll(DemoScenario.plan(i));
    }
    assertEquals(EnumSet.allOf(DemoScenario.Dest.class), seen);
  }

  @Test
  void tooFewMessagesIsAUsageErrorWithANonZeroExit() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandLine cmd = new CommandLine(new Demo());
    cmd.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
    int code = cmd.execute("--messages", "5");
    assertNotEquals(0, code);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("at least 20 messages"), err.toString(StandardCharsets.UTF_8));
  }
}
