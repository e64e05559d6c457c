package org.relaymail.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MailboxTest {

  @Test
  void parsesSimpleAddress() {
    Mailbox m = Mailbox.parse("John.Doe@Example.COM");
    assertEquals("John.Doe", m.localPart());
    assertEquals("example.com", m.domain());
    assertEquals("example.com", m.asciiDomain());
    assertEquals("example.com", m.unicodeDomain());
    assertEquals("John.Doe@example.com", m.address());
    assertEquals("<John.Doe@example.com>", m.toPath());
    assertEquals("John.Doe@example.com", m.toString());
    assertFalse(m.isNull());
    assertFalse(m.needsSmtpUtf8());
    assertFalse(m.isAddressLiteral());
  }

  @Test
  void domainComparesCaseInsensitivelyLocalPartExactly() {
    assertEquals(Mailbox.parse("a@EXAMPLE.com"), Mailbox.parse("a@example.COM"));
    assertEquals(Mailbox.parse("a@EXAMPLE.com").hashCode(), Mailbox.parse("a@example.COM").hashCode());
    assertNotEquals(Mailbox.parse("A@example.com"), Mailbox.parse("a@example.com"));
    assertEquals(Mailbox.parse("u@bücher.example"), Mailbox.parse("u@xn--bcher-kva.example"));
    assertEquals(Mailbox.parse("u@BÜCHER.example"), Mailbox.parse("u@bücher.example"));
  }

  @Test
  void allAtextCharactersInDotString() {
    String local = "a!#$%&'*+-/=?^_`{|}~9.Z";
    assertEquals(local, Mailbox.parse(local + "@x.org").localPart());
  }

  @Test
  void quotedLocalPartKeptAsWritten() {
    Mailbox m = Mailbox.parse("\"john doe\\\"x\"@example.com");
    assertEquals("\"john doe\\\"x\"", m.localPart());
    assertEquals("<\"john doe\\\"x\"@example.com>", m.toPath());
    assertEquals("\"a@b\"", Mailbox.parse("\"a@b\"@example.com").localPart());
    assertEquals("\"\"", Mailbox.parse("\"\"@example.com").localPart());
  }

  @Test
  void addressLiterals() {
    Mailbox v4 = Mailbox.parse("user@[192.0.2.1]");
    assertEquals("[192.0.2.1]", v4.domain());
    assertTrue(v4.isAddressLiteral());
    assertEquals("<user@[192.0.2.1]>", v4.toPath());
    Mailbox v6 = Mailbox.parse("user@[ipv6:2001:DB8::1]");
    assertEquals("[IPv6:2001:db8::1]", v6.domain());
    for (String ok :
        new String[] {
          "[IPv6:1:2:3:4:5:6:7:8]", "[IPv6:::1]", "[IPv6:1::]", "[IPv6:::]",
          "[IPv6:1:2:3:4:5:6:1.2.3.4]", "[IPv6:::ffff:192.0.2.1]", "[IPv6:1::2:3:4:5:6]",
          "[0.0.0.0]", "[255.255.255.255]"
        }) {
      assertEquals(ok.toLowerCase().replace("ipv6", "IPv6"), Mailbox.parse("u@" + ok).domain(), ok);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[IPv6:1:2:3:4:5:6:7]", "[IPv6:1:2:3:4:5:6:7:8:9]", "[IPv6:1::2::3]",
        "[IPv6:1:2:3:4:5:6:7::]", "[IPv6:12345::]", "[IPv6:g::]", "[IPv6:]",
        "[IPv6:1:2:3:4:5:6:7:1.2.3.4]", "[IPv6:1:2:3:4:5::1.2.3.4]", "[256.1.1.1]", "[1.2.3]",
        "[1.2.3.4.5]", "[1..2.3]", "[]", "[x:y]", "[1.2.3.4", "[ 1.2.3.4]"
      })
  void badAddressLiteralsRejected(String literal) {
    InvalidAddressException e =
        assertThrows(InvalidAddressException.class, () -> Mailbox.parse("u@" + literal));
    assertEquals("u@" + literal, e.input());
    assertTrue(e.getMessage().contains("RFC 5321"), e.getMessage());
  }

  @Test
  void nullPath() {
    assertSame(Mailbox.NULL, Mailbox.parsePath("<>"));
    assertTrue(Mailbox.NULL.isNull());
    assertEquals("<>", Mailbox.NULL.toPath());
    assertEquals("", Mailbox.NULL.address());
    assertEquals("", Mailbox.NULL.domain());
    assertNotEquals(Mailbox.NULL, Mailbox.parse("a@b"));
  }

  @Test
  void parsePathAndSourceRoute() {
    assertEquals(Mailbox.parse("a@b.example"), Mailbox.parsePath("<a@b.example>"));
    assertEquals(
        Mailbox.parse("user@c.example"),
        Mailbox.parsePath("<@a.example,@b.example:user@c.example>"));
    for (String bad : new String[] {"a@b", "<a@b", "a@b>", "<", "", "<@a.example user@c>", "<@:a@b>"}) {
      assertThrows(InvalidAddressException.class, () -> Mailbox.parsePath(bad), bad);
    }
  }

  @Test
  void internationalisedAddresses() {
    Mailbox m = Mailbox.parse("jösé@Bücher.Example");
    assertEquals("jösé", m.localPart());
    assertEquals("bücher.example", m.domain());
    assertEquals("xn--bcher-kva.example", m.asciiDomain());
    assertEquals("bücher.example", m.unicodeDomain());
    assertEquals("<jösé@xn--bcher-kva.example>", m.toPath());
    assertTrue(m.needsSmtpUtf8());

    Mailbox ascii = Mailbox.parse("a@XN--BCHER-KVA.example");
    assertEquals("xn--bcher-kva.example", ascii.domain());
    assertEquals("bücher.example", ascii.unicodeDomain());
    assertFalse(ascii.needsSmtpUtf8());
    assertFalse(Mailbox.parse("a@bücher.example").needsSmtpUtf8());
    assertTrue(Mailbox.parse("\"jö sé\"@example.com").needsSmtpUtf8());
    assertEquals("用户", Mailbox.parse("用户@例子.广告").localPart());
  }

  @ParameterizedTest
  @ValueSource(strings = {"faß.de", "x.ς.gr", "a\u200Db.example", "a\u200Cb.example"})
  void deviationCharactersRejected(String domain) {
    InvalidAddressException e =
        assertThrows(InvalidAddressException.class, () -> Mailbox.parse("u@" + domain));
    assertTrue(e.rule().contains("deviation"), e.getMessage());
    assertTrue(e.getMessage().contains("A-label"), e.getMessage());
  }

  @Test
  void deviationDomainAcceptedAsALabel() {
    Mailbox m = Mailbox.parse("u@xn--fa-hia.de");
    assertEquals("xn--fa-hia.de", m.asciiDomain());
    assertNotEquals(Mailbox.parse("u@fass.de"), m);
  }

  @Test
  void idnaMappingThatChangesTheDomainRejected() {
    // fullwidth letters would be mapped to ASCII by IDNA2003 NFKC
    InvalidAddressException e =
        assertThrows(InvalidAddressException.class, () -> Mailbox.parse("u@ｅｘａｍｐｌｅ.com"));
    assertTrue(e.rule().contains("IDNA2003"), e.getMessage());
  }

  @Test
  void lengthLimits() {
    String local64 = "a".repeat(64);
    assertEquals(local64, Mailbox.parse(local64 + "@x.org").localPart());
    InvalidAddressException e =
        assertThrows(InvalidAddressException.class, () -> Mailbox.parse(local64 + "a@x.org"));
    assertTrue(e.rule().contains("64"), e.getMessage());
    // 32 two-octet characters = 64 octets; 33 is too many
    Mailbox.parse("é".repeat(32) + "@x.org");
    assertThrows(InvalidAddressException.class, () -> Mailbox.parse("é".repeat(33) + "@x.org"));

    String label63 = "b".repeat(63);
    Mailbox.parse("a@" + label63 + ".org");
    assertThrows(InvalidAddressException.class, () -> Mailbox.parse("a@" + label63 + "b.org"));

    // domain of 255 octets: 4 labels of 63 + 3 dots = 255
    String domain255 = String.join(".", label63, label63, label63, label63);
    assertEquals(255, domain255.length());
    // path = 1 + 1 + 1 + 255 + 1 = 259 > 256
    InvalidAddressException path =
        assertThrows(InvalidAddressException.class, () -> Mailbox.parse("a@" + domain255));
    assertTrue(path.rule().contains("256"), path.getMessage());
    String domain256 = String.join(".", label63, label63, label63, "c".repeat(62), "c");
    assertEquals(256, domain256.length());
    InvalidAddressException dom =
        assertThrows(InvalidAddressException.class, () -> Mailbox.parse("a@" + domain256));
    assertTrue(dom.rule().contains("255"), dom.getMessage());
    // exactly 256: <local@domain> with local 1 + domain 252
    String domain252 = String.join(".", label63, label63, label63, "d".repeat(60));
    assertEquals(252, domain252.length());
    Mailbox.parse("a@" + domain252);
    assertThrows(InvalidAddressException.class, () -> Mailbox.parse("ab@" + domain252));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "", "@", "a@", "@b", "a", "a@b@c", ".a@b", "a.@b", "a..b@c", "a b@c", "a@b..c", "a@.b",
        "a@b.", "a@-b", "a@b-", "a@b_c", "\"a@b", "\"a\"b@c", "a@b c", "a\r@b", "a\n@b",
        "a\0@b", "a@b\r\n", "\"a\r\"@b", "\"a\\\r\"@b", "\"a\\\"@b", "a\u0085@b", "(comment)a@b",
        "a@[192.0.2.1", "a@b:25", "a\u2028b@c", "\ud800@b", "a@\udc00.b", "a@ex ample.com"
      })
  void syntaxErrorsNameTheAddressAndRule(String address) {
    InvalidAddressException e =
        assertThrows(InvalidAddressException.class, () -> Mailbox.parse(address));
    assertEquals(address, e.input());
    assertTrue(e.getMessage().startsWith("Invalid address \""), e.getMessage());
    assertTrue(e.rule().contains("RFC"), e.getMessage());
    assertFalse(e.getMessage().contains("\r") || e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void ofJoinsParts() {
    assertEquals(Mailbox.parse("x@y.z"), Mailbox.of("x", "Y.z"));
    assertThrows(InvalidAddressException.class, () -> Mailbox.of("x@y", "z"));
  }
}
