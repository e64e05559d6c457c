package org.relaymail.relay.internal.admin;

/**
 * The relay's admin protocol, version 1: a local, line-based conversation on a Unix-domain socket.
 *
 * <pre>
 * client: RELAYMAIL-ADMIN version=1             the first line names the version
 * server: OK version=1                          or ERR code=unsupported-version ..., then close
 * client: hold id=20250602T100000-0001          one request per line: an operation and fields
 * server: OK lines=1                            OK and how many data lines follow
 * server: result found=true
 * client: hold id=no%20such
 * server: ERR code=bad-request message=queue%20id%20must...   an error code and the message
 * </pre>
 *
 * <p>Every line is an {@link AdminLine}: printable US-ASCII ended by LF (a CR before the LF is
 * tolerated), a word and {@code key=value} fields whose values are percent-escaped UTF-8, so data
 * never breaks the framing. Requests map
 * one to one to {@code RelayClient}'s administration methods: {@code list} (fields {@code status}
 * repeated, {@code tenant}, {@code tag}, {@code sender-domain}, {@code rcpt-domain}, {@code after},
 * {@code limit}), {@code inspect}, {@code counts}, {@code hold}, {@code release}, {@code retry},
 * {@code retry-all}, {@code delete}, {@code bounce} (each with {@code id}), and {@code headers}
 * (a message's header section, for {@code relaymail queue show --headers}). Data lines: {@code
 * message} followed by its {@code rcpt} lines, {@code next}, {@code counts}, {@code result}, {@code
 * headers} ({@link AdminCodec}), and {@code submit} ({@link #SUBMIT}), the one request followed by
 * raw bytes. A request line is at most {@link #MAX_REQUEST_LINE} bytes; a
 * longer one is answered {@code ERR too-large} and the connection closed.
 */
public final class AdminProtocol {
  private AdminProtocol() {}

  /** The version this code speaks. */
  public static final int VERSION = 1;
  /** The hello line's first word. */
  public static final String MAGIC = "RELAYMAIL-ADMIN";
  /** A response: success, with {@code lines=N} data lines after it (or {@code version=1} after hello). */
  public static final String OK = "OK";
  /** A response: failure, with {@code code=} and {@code message=}. */
  public static final String ERR = "ERR";
  /** The longest request line the server reads, in bytes. */
  public static final int MAX_REQUEST_LINE = 64 * 1024;
  /** The longest response line the client reads, in bytes. */
  public static final int MAX_RESPONSE_LINE = 4 * 1024 * 1024;
  /** The most data lines the client accepts in one response. */
  public static final int MAX_RESPONSE_LINES = 50_000_000;
  /** The most bytes of a message {@code headers} returns. */
  public static final int MAX_HEADER_BYTES = 64 * 1024;

  /** Request: list messages. */
  public static final String LIST = "list";
  /** Request: one message. */
  public static final String INSPECT = "inspect";
  /** Request and data line: counts. */
  public static final String COUNTS = "counts";
  /** Request: hold. */
  public static final String HOLD = "hold";
  /** Request: release a hold. */
  public static final String RELEASE = "release";
  /** Request: retry one message now. */
  public static final String RETRY = "retry";
  /** Request: retry every message now. */
  public static final String RETRY_ALL = "retry-all";
  /** Request: delete. */
  public static final String DELETE = "delete";
  /** Request: bounce the undelivered recipients. */
  public static final String BOUNCE = "bounce";
  /** Request and data line: a message's header section. */
  public static final String HEADERS = "headers";

  /**
   * Request: queue a new message through the relay's own {@code RelayClient.send}. Fields: {@code
   * sender} (the address, empty for the null reverse path), {@code rcpt} repeated, with as many
   * {@code notify} (DSN NOTIFY values joined by commas, empty for the default) and {@code orcpt}
   * (empty for none) fields in the same order, optional {@code ret} and {@code envid}, and {@code
   * size} (the message's bytes). The relay answers {@link #READY} (then the client sends exactly
   * {@code size} raw bytes, not line-framed, and the relay answers {@code OK lines=1} with a {@code
   * result id=...} line or an {@code ERR}), or an {@code ERR} at once (then no bytes follow: {@code
   * too-large} when {@code size} exceeds the relay's maximum message size, {@code bad-request},
   * {@code unknown-operation} from an older relay). A connection that ends before the last byte
   * queues nothing.
   */
  public static final String SUBMIT = "submit";
  /** Response to {@link #SUBMIT}: send the message's bytes now. */
  public static final String READY = "READY";

  /** Data line: a message. */
  public static final String MESSAGE = "message";
  /** Data line: a recipient of the message before it. */
  public static final String RCPT = "rcpt";
  /** Data line: a list page's cursor. */
  public static final String NEXT = "next";
  /** Data line: a boolean or count result. */
  public static final String RESULT = "result";

  /** Error: the request could not be parsed or names a bad value. */
  public static final String ERR_BAD_REQUEST = "bad-request";
  /** Error: the request line is too long. */
  public static final String ERR_TOO_LARGE = "too-large";
  /** Error: no such operation. */
  public static final String ERR_UNKNOWN = "unknown-operation";
  /** Error: the client speaks another version. */
  public static final String ERR_VERSION = "unsupported-version";
  /** Error: the peer is not the relay's user. */
  public static final String ERR_FORBIDDEN = "forbidden";
  /** Error: too many admin connections. */
  public static final String ERR_BUSY = "busy";
  /** Error: the queue store failed. */
  public static final String ERR_IO = "io";
  /** Error: the relay cannot do it now (closing, read-only store). */
  public static final String ERR_UNAVAILABLE = "unavailable";
  /**
   * Error: the relay refused a submitted message as bad input ({@code InvalidMessageException} or a
   * bad address); the line carries {@code status=} (RFC 3463) and {@code message=}.
   */
  public static final String ERR_INVALID_MESSAGE = "invalid-message";
  /** Error: anything unexpected. */
  public static final String ERR_INTERNAL = "internal";
}
