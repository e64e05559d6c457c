package org.relaymail.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer fuzz test of {@link DeliveryStatusReport#parse(byte[])}: any bytes give a report or
 * {@link MalformedReportException}, nothing else; a report that parses rebuilds into bytes that
 * parse to the same values. A normal build replays the inputs under
 * {@code src/test/resources/org/relaymail/protocol/DeliveryStatusReportFuzzTestInputs/}.
 */
class DeliveryStatusReportFuzzTest {

  @FuzzTest(maxDuration = "30s")
  void parseArbitraryBytes(byte[] input) {
    DeliveryStatusReport report;
    try {
      report = DeliveryStatusReport.parse(input);
    } catch (MalformedReportException expected) {
      assertFalse(expected.getMessage().isEmpty());
      return;
    }
    assertFalse(report.recipients().isEmpty());
    byte[] rebuilt;
    try {
      rebuilt = report.toBuilder().build();
    } catch (IllegalStateException | IllegalArgumentException notRebuildable) {
      // a foreign report may hold what our builder refuses (no From, a boundary inside the
      // content, UTF-8 in a report that is not global): that is a documented refusal
      return;
    }
    DeliveryStatusReport again = DeliveryStatusReport.parse(rebuilt);
    assertEquals(report.recipients(), again.recipients());
    assertEquals(report.reportingMta(), again.reportingMta());
    assertEquals(report.originalEnvelopeId(), again.originalEnvelopeId());
    assertEquals(report.arrivalDate(), again.arrivalDate());
    assertEquals(report.returnedContent(), again.returnedContent());
  }
}
