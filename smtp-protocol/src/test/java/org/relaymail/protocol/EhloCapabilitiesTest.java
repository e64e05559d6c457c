package org.relaymail.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EhloCapabilitiesTest {

  @Test
  void postfixStyleReply() {
    EhloCapabilities c = EhloCapabilities.parse(SmtpReply.of(250,
        "mx.example.com Hello client.example [192.0.2.7]", "PIPELINING", "SIZE 10240000",
        "VRFY", "ETRN", "STARTTLS", "AUTH PLAIN LOGIN", "ENHANCEDSTATUSCODES", "8BITMIME",
        "DSN", "SMTPUTF8", "CHUNKING", "BINARYMIME", "REQUIRETLS", "X-FOO bar baz"));
    assertEquals("mx.example.com", c.domain());
    assertEquals("Hello client.example [192.0.2.7]", c.greeting());
    assertTrue(c.pipelining());
    assertEquals(OptionalLong.of(10240000), c.maxSize());
    assertTrue(c.startTls());
    assertEquals(Set.of("PLAIN", "LOGIN"), c.authMechanisms());
    assertEquals(List.of("PLAIN", "LOGIN"), List.copyOf(c.authMechanisms()));
    assertTrue(c.enhancedStatusCodes());
    assertTrue(c.eightBitMime());
    assertTrue(c.dsn());
    assertTrue(c.smtpUtf8());
    assertTrue(c.chunking());
    assertTrue(c.binaryMime());
    assertTrue(c.requireTls());
    assertTrue(c.has("x-foo"));
    assertTrue(c.has("Etrn"));
    assertEquals(List.of("bar", "baz"), c.parameters("X-FOO"));
    assertEquals(List.of(), c.parameters("NOPE"));
    assertFalse(c.has("NOPE"));
    assertEquals(List.of("PIPELINING", "SIZE", "VRFY", "ETRN", "STARTTLS", "AUTH",
        "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING", "BINARYMIME",
        "REQUIRETLS", "X-FOO"), List.copyOf(c.keywords()));
  }

  @Test
  void bareGreetingHasNoExtensions() {
    EhloCapabilities c = EhloCapabilities.parse(SmtpReply.of(250, "mx.example.com"));
    assertEquals("mx.example.com", c.domain());
    assertEquals("", c.greeting());
    assertTrue(c.keywords().isEmpty());
    assertFalse(c.pipelining() || c.chunking() || c.eightBitMime() || c.smtpUtf8() || c.startTls()
        || c.dsn() || c.enhancedStatusCodes() || c.binaryMime() || c.requireTls());
    assertEquals(OptionalLong.empty(), c.maxSize());
    assertTrue(c.authMechanisms().isEmpty());
  }

  @Test
  void sizeWithoutValueOrZeroOrGarbage() {
    for (String size : new String[] {"SIZE", "SIZE 0", "SIZE abc", "SIZE -5", "size 99999999999999999999"}) {
      EhloCapabilities c = EhloCapabilities.parse(SmtpReply.of(250, "x", size));
      assertTrue(c.has("SIZE"), size);
      assertEquals(OptionalLong.empty(), c.maxSize(), size);
    }
    assertEquals(OptionalLong.of(1), EhloCapabilities.parse(SmtpReply.of(250, "x", "size 1")).maxSize());
  }

  @Test
  void oldAuthEqualsFormMerged() {
    EhloCapabilities c = EhloCapabilities.parse(
        SmtpReply.of(250, "x", "AUTH=LOGIN PLAIN", "AUTH LOGIN PLAIN CRAM-MD5", "auth=xoauth2"));
    assertEquals(List.of("LOGIN", "PLAIN", "CRAM-MD5", "XOAUTH2"), List.copyOf(c.authMechanisms()));
    EhloCapabilities only = EhloCapabilities.parse(SmtpReply.of(250, "x", "AUTH=LOGIN"));
    assertEquals(Set.of("LOGIN"), only.authMechanisms());
    assertFalse(only.has("AUTH=LOGIN"));
    assertTrue(only.has("AUTH"));
  }

  @Test
  void extraSpacesAndEmptyLinesTolerated() {
    EhloCapabilities c = EhloCapabilities.parse(
        SmtpReply.of(250, "  x.example   hi  ", "", "  AUTH   PLAIN    LOGIN ", "pipelining"));
    assertEquals("x.example", c.domain());
    assertEquals(List.of("PLAIN", "LOGIN"), List.copyOf(c.authMechanisms()));
    assertTrue(c.pipelining());
  }

  @Test
  void enhancedStatusLinesStayAsKeywordsNotStatus() {
    // EHLO replies do not carry enhanced codes; a stray one is treated as text on the first line
    EhloCapabilities c = EhloCapabilities.parse(SmtpReply.of(250, "mx", "8BITMIME"));
    assertTrue(c.eightBitMime());
  }

  @Test
  void rejectsNegativeReply() {
    assertThrows(IllegalArgumentException.class,
        () -> EhloCapabilities.parse(SmtpReply.of(502, "5.5.1 EHLO not supported")));
  }

  @Test
  void noneAndEquality() {
    assertTrue(EhloCapabilities.none().keywords().isEmpty());
    assertEquals(EhloCapabilities.parse(SmtpReply.of(250, "a", "X")),
        EhloCapabilities.parse(SmtpReply.of(250, "a", "x")));
  }
}
