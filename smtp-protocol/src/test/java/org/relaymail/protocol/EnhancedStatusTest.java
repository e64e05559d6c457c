package org.relaymail.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EnhancedStatusTest {

  @Test
  void parseAndFormat() {
    EnhancedStatus s = EnhancedStatus.parse("5.1.1");
    assertEquals(EnhancedStatus.of(5, 1, 1), s);
    assertEquals("5.1.1", s.toString());
    assertTrue(s.isPermanent());
    assertFalse(s.isTransient());
    assertEquals(new EnhancedStatus(4, 999, 123), EnhancedStatus.parse("4.999.123"));
    assertEquals("2.0.0", EnhancedStatus.OK.toString());
    assertTrue(EnhancedStatus.parse("2.6.0").isSuccess());
    assertEquals("5.1.1", EnhancedStatus.parse("5.01.001").toString());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "5", "5.1", "5.1.", "3.1.1", "1.0.0", "5.1.1.1", "5.1000.1", "5.1.1000",
        "5..1", "5.a.1", " 5.1.1", "5.1.1 ", "5,1,1", "٥.1.1"})
  void rejectsMalformed(String s) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> EnhancedStatus.parse(s));
    assertTrue(e.getMessage().contains("RFC 3463"), e.getMessage());
    assertTrue(EnhancedStatus.tryParse(s).isEmpty());
  }

  @Test
  void constructorChecksRanges() {
    assertThrows(IllegalArgumentException.class, () -> EnhancedStatus.of(3, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> EnhancedStatus.of(5, -1, 0));
    assertThrows(IllegalArgumentException.class, () -> EnhancedStatus.of(5, 0, 1000));
  }
}
