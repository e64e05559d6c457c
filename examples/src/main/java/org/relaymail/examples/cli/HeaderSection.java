package org.relaymail.examples.cli;

import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The header section of an RFC 5322 message as {@code sendmail -t} reads it: recipients from To,
 * Cc and Bcc (RFC 5322 section 3.6.3), the From address, and the message with the Bcc field
 * removed. Immutable.
 */
final class HeaderSection {
  private final byte[] message;
  private final int bodyStart;          // index of the first byte after the header section
  private final List<int[]> fields;     // [start, end) of each field, folded lines included

  private HeaderSection(byte[] message) {
    this.message = message;
    this.fields = new ArrayList<>();
    int i = 0;
    int start = -1;
    int end = message.length;
    while (i < message.length) {
      int eol = i;
      while (eol < message.length && message[eol] != '\n') {
        eol++;
      }
      int next = Math.min(message.length, eol + 1);
      boolean blank = eol == i || (eol == i + 1 && message[i] == '\r');
      if (blank) {
        end = next;
        break;
      }
      boolean continuation = message[i] == ' ' || message[i] == '\t';
      if (!continuation) {
        if (start >= 0) {
          fields.add(new int[] {start, i});
        }
        start = i;
      }
      i = next;
      end = next;
    }
    if (start >= 0) {
      fields.add(new int[] {start, Math.min(i, end)});
    }
    this.bodyStart = end;
  }

  static HeaderSection parse(byte[] message) {
    return new HeaderSection(message);
  }

  private String name(int[] f) {
    String line = new String(message, f[0], f[1] - f[0], StandardCharsets.UTF_8);
    int colon = line.indexOf(':');
    return colon < 0 ? "" : line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
  }

  private String value(int[] f) {
    String line = new String(message, f[0], f[1] - f[0], StandardCharsets.UTF_8);
    int colon = line.indexOf(':');
    return colon < 0 ? "" : line.substring(colon + 1).replaceAll("\r?\n", "").trim();
  }

  /** @return the values of every field with this name (case-insensitive), unfolded */
  List<String> values(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    List<String> out = new ArrayList<>();
    for (int[] f : fields) {
      if (name(f).equals(n)) {
        out.add(value(f));
      }
    }
    return out;
  }

  /** @return the addresses of To, Cc and Bcc in order, without duplicates */
  Set<String> recipients() {
    Set<String> out = new LinkedHashSet<>();
    for (String field : List.of("to", "cc", "bcc")) {
      for (String v : values(field)) {
        out.addAll(addresses(field, v));
      }
    }
    return out;
  }

  /** @return the first address of From, if any */
  Optional<String> from() {
    for (String v : values("from")) {
      List<String> a = addresses("from", v);
      if (!a.isEmpty()) {
        return Optional.of(a.get(0));
      }
    }
    return Optional.empty();
  }

  private static List<String> addresses(String field, String value) {
    if (value.isBlank()) {
      return List.of();
    }
    try {
      List<String> out = new ArrayList<>();
      for (InternetAddress a : InternetAddress.parseHeader(value, false)) {
        if (a.isGroup()) {
          for (InternetAddress m : a.getGroup(false)) {
            out.add(m.getAddress());
          }
        } else if (a.getAddress() != null && !a.getAddress().isEmpty()) {
          out.add(a.getAddress());
        }
      }
      return out;
    } catch (AddressException e) {
      throw new RelaymailCommand.CliException(RelaymailCommand.EX_DATAERR,
          "cannot read the " + field + " field '" + value + "': " + e.getMessage(), e);
    }
  }

  /** @return the message without its Bcc fields (RFC 5322 section 3.6.3: Bcc is not transmitted) */
  byte[] withoutBcc() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(message.length);
    int pos = 0;
    for (int[] f : fields) {
      if (name(f).equals("bcc")) {
        out.write(message, pos, f[0] - pos);
        pos = f[1];
      }
    }
    out.write(message, pos, message.length - pos);
    return out.toByteArray();
  }

  /** @return whether the message has a header section followed by a blank line */
  boolean hasBody() {
    return bodyStart < message.length || (bodyStart > 0 && bodyStart == message.length);
  }
}
