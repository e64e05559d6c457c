package org.relaymail.client;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.relaymail.protocol.DotStuffingOutputStream;

/**
 * The bytes of one message (RFC 5322 headers and body), streamed to the server without holding the
 * whole message in memory: from a byte array, a file, or an {@link InputStream} supplier that can be
 * opened more than once (once to examine the content, once per send).
 *
 * <p>Before a message is sent its content is examined once (and the result kept): its size (for
 * SIZE=, RFC 1870), whether it has 8-bit bytes (BODY=8BITMIME, RFC 6152), whether its headers hold
 * UTF-8 (SMTPUTF8, RFC 6532), and whether it is canonical (CRLF line endings, lines of at most 998
 * octets; only canonical content goes by BDAT, RFC 3030).
 *
 * <p>Thread-safe (the examination is done at most once; the supplier must allow concurrent opens).
 */
public final class MessageContent {
  /** Opens the content's bytes; each call starts from the beginning. */
  @FunctionalInterface
  public interface Source {
    /**
     * @return a new stream over the whole content
     * @throws IOException if it cannot be opened
     */
    InputStream open() throws IOException;
  }

  /**
   * What the examination found.
   *
   * @param size the content's length in octets
   * @param eightBit whether a byte above 127 occurs
   * @param utf8Headers whether a byte above 127 occurs in the header section
   * @param canonical whether every line ends with CRLF (no bare CR or LF) and none is longer than
   *     998 octets
   * @param longestLine the longest line, in octets without the line ending
   */
  public record Info(
      long size, boolean eightBit, boolean utf8Headers, boolean canonical, long longestLine) {

    /** Checks that the values can describe a message. */
    public Info {
      if (size < 0) {
        throw new IllegalArgumentException("size must not be negative: " + size);
      }
      if (longestLine < 0) {
        throw new IllegalArgumentException("longestLine must not be negative: " + longestLine);
      }
      if (canonical && longestLine > DotStuffingOutputStream.MAX_LINE_LENGTH) {
        throw new IllegalArgumentException(
            "canonical content has no line longer than 998 octets (RFC 5321 section 4.5.3.1.6),"
                + " but longestLine is " + longestLine);
      }
    }
  }

  private final Source source;
  private final String description;
  private volatile Info info;

  private MessageContent(Source source, String description, Info info) {
    this.source = source;
    this.description = description;
    this.info = info;
  }

  /**
   * Content held in memory (the array is not copied: do not change it afterwards).
   *
   * @param bytes the message
   * @return the content
   */
  public static MessageContent of(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    MessageContent c =
        new MessageContent(() -> new ByteArrayInputStream(bytes), bytes.length + " bytes", null);
    c.info = scan(bytes, 0, bytes.length, new Scanner()).result();
    return c;
  }

  /**
   * Content in a file, read when it is sent.
   *
   * @param file the file
   * @return the content
   */
  public static MessageContent of(Path file) {
    Objects.requireNonNull(file, "file");
    return new MessageContent(() -> Files.newInputStream(file), file.toString(), null);
  }

  /**
   * Content from a source that can be opened several times.
   *
   * @param source opens the content
   * @return the content
   */
  public static MessageContent of(Source source) {
    return new MessageContent(Objects.requireNonNull(source, "source"), "stream", null);
  }

  /**
   * Content from a source whose properties the caller already knows, so it is never examined.
   *
   * @param source opens the content
   * @param known the properties; they must be true of the content, or the server may refuse it
   * @return the content
   */
  public static MessageContent of(Source source, Info known) {
    return new MessageContent(
        Objects.requireNonNull(source, "source"), "stream", Objects.requireNonNull(known, "info"));
  }

  /**
   * @return a new stream over the content
   * @throws IOException if the source cannot be opened
   */
  public InputStream open() throws IOException {
    return source.open();
  }

  /**
   * The content's properties, examining it the first time (a full read).
   *
   * @return the properties
   * @throws IOException if the content cannot be read
   */
  public Info info() throws IOException {
    Info i = info;
    if (i == null) {
      synchronized (this) {
        i = info;
        if (i == null) {
          Scanner s = new Scanner();
          byte[] buf = new byte[64 * 1024];
          try (InputStream in = source.open()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
              scan(buf, 0, n, s);
            }
          }
          i = s.result();
          info = i;
        }
      }
    }
    return i;
  }

  @Override
  public String toString() {
    return "MessageContent[" + description + "]";
  }

  private static Scanner scan(byte[] b, int off, int len, Scanner s) {
    for (int i = off; i < off + len; i++) {
      s.accept(b[i]);
    }
    return s;
  }

  /** A one-pass examination of the bytes. */
  private static final class Scanner {
    private long size;
    private boolean eightBit;
    private boolean utf8Headers;
    private boolean canonical = true;
    private long line;
    private long longest;
    private boolean inHeaders = true;
    private boolean prevCr;
    private boolean lineEmpty = true;

    void accept(byte b) {
      size++;
      if (b < 0) {
        eightBit = true;
        if (inHeaders) {
          utf8Headers = true;
        }
      }
      if (prevCr) {
        prevCr = false;
        if (b == '\n') {
          endLine();
          return;
        }
        canonical = false; // bare CR
        endLine();
      }
      if (b == '\r') {
        prevCr = true;
      } else if (b == '\n') {
        canonical = false; // bare LF
        endLine();
      } else {
        line++;
        lineEmpty = false;
      }
    }

    private void endLine() {
      if (inHeaders && lineEmpty) {
        inHeaders = false;
      }
      longest = Math.max(longest, line);
      line = 0;
      lineEmpty = true;
    }

    Info result() {
      boolean bareCrAtEnd = prevCr;
      long longestLine = Math.max(longest, line);
      boolean ok = canonical && !bareCrAtEnd && longestLine <= 998;
      return new Info(size, eightBit, utf8Headers, ok, longestLine);
    }
  }

}
