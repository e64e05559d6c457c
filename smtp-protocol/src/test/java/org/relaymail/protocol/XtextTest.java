package org.relaymail.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class XtextTest {

  @Test
  void encodesSpecialsAsHex() {
    assertEquals("abc", Xtext.encode("abc"));
    assertEquals("a+2Bb+3Dc", Xtext.encode("a+b=c"));
    assertEquals("+20+0D+0A+00+7F", Xtext.encode(" \r\n\0\u007f"));
    assertEquals("!~<>", Xtext.encode("!~<>"));
    assertEquals("", Xtext.encode(""));
  }

  @Test
  void decodes() {
    assertEquals("a+b=c", Xtext.decode("a+2Bb+3Dc"));
    assertEquals("a+b", Xtext.decode("a+2bb"));
    assertEquals(" ", Xtext.decode("+20"));
  }

  @Test
  void roundTripsEveryAsciiCharacter() {
    StringBuilder all = new StringBuilder();
    for (char c = 0; c < 128; c++) {
      all.append(c);
    }
    assertEquals(all.toString(), Xtext.decode(Xtext.encode(all.toString())));
  }

  @ParameterizedTest
  @ValueSource(strings = {"+", "+2", "+2G", "a=b", "a b", "+80", "+FF", "é", "a\rb"})
  void rejectsInvalidXtext(String s) {
    assertThrows(IllegalArgumentException.class, () -> Xtext.decode(s));
  }

  @Test
  void encodeRejectsNonAscii() {
    assertThrows(IllegalArgumentException.class, () -> Xtext.encode("é"));
  }
}
