package org.relaymail.testsupport;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * An authoritative DNS server for tests on a loopback address, UDP and TCP on the same port
 * (RFC 1035 section 4.2), built on dnsjava's message classes. A test declares records (MX, A,
 * AAAA, CNAME, TXT, PTR, null MX per RFC 7505) and faults per name (an RCODE such as SERVFAIL, a
 * delay, no answer at all, truncation over UDP that forces a retry over TCP, RFC 7766); the server
 * counts queries per name and type. Names without records get NXDOMAIN, names with records of
 * other types an empty NOERROR answer; both carry an SOA whose minimum is the negative TTL (RFC
 * 2308 section 5). CNAMEs are chased within the declared data.
 *
 * <p>Thread-safe: records and faults may change while the server runs. {@link #close()} stops
 * every thread.
 */
public final class DnsTestServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DnsTestServer.class);

  private final Map<Name, List<Record>> records = new ConcurrentHashMap<>();
  private final Map<Name, Integer> rcodes = new ConcurrentHashMap<>();
  private final Map<Name, Duration> delays = new ConcurrentHashMap<>();
  private final Set<Name> truncated = ConcurrentHashMap.newKeySet();
  private final Set<Name> silent = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private final AtomicInteger tcpQueries = new AtomicInteger();
  private final AtomicInteger udpQueries = new AtomicInteger();
  private final Duration defaultTtl;
  private final Duration negativeTtl;
  private final DatagramSocket udp;
  private final ServerSocket tcp;
  private final ExecutorService workers;
  private final Thread udpThread;
  private final Thread tcpThread;
  private final Set<Socket> tcpClients = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private DnsTestServer(Builder b) throws IOException {
    this.defaultTtl = b.defaultTtl;
    this.negativeTtl = b.negativeTtl;
    ServerSocket t = null;
    DatagramSocket u = null;
    IOException last = null;
    for (int attempt = 0; attempt < 20 && u == null; attempt++) {
      t = new ServerSocket();
      t.setReuseAddress(true);
      t.bind(new InetSocketAddress(b.address, b.port), 50);
      try {
        u = new DatagramSocket(new InetSocketAddress(b.address, t.getLocalPort()));
      } catch (BindException e) {
        last = e;
        t.close();
        if (b.port != 0) {
          break;
        }
      }
    }
    if (u == null) {
      throw new IOException("cannot bind UDP and TCP on one port at " + b.address, last);
    }
    this.tcp = t;
    this.udp = u;
    AtomicInteger n = new AtomicInteger();
    this.workers = Executors.newCachedThreadPool(r -> {
      Thread th = new Thread(r, "dns-test-" + port() + "-worker-" + n.incrementAndGet());
      th.setDaemon(true);
      return th;
    });
    udpThread = new Thread(this::udpLoop, "dns-test-" + port() + "-udp");
    udpThread.setDaemon(true);
    tcpThread = new Thread(this::tcpLoop, "dns-test-" + port() + "-tcp");
    tcpThread.setDaemon(true);
    udpThread.start();
    tcpThread.start();
  }

  /**
   * A new builder.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts a server on 127.0.0.1 with an ephemeral port and default TTLs.
   *
   * @return the running server
   * @throws IOException if no port can be bound
   */
  public static DnsTestServer start() throws IOException {
    return builder().start();
  }

  // ---- declaring data

  private static Name name(String s) {
    try {
      return Name.fromString(s.endsWith(".") ? s : s + ".");
    } catch (TextParseException e) {
      throw new IllegalArgumentException("not a DNS name: " + s, e);
    }
  }

  private long ttl(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("TTL must not be negative: " + d);
    }
    return d.getSeconds();
  }

  /**
   * Adds any record.
   *
   * @param record the record, absolute owner name
   * @return this
   */
  public DnsTestServer add(Record record) {
    records.compute(record.getName(), (k, v) -> {
      List<Record> l = v == null ? new ArrayList<>() : new ArrayList<>(v);
      l.add(record);
      return List.copyOf(l);
    });
    return this;
  }

  /**
   * Adds an MX record with the default TTL.
   *
   * @param domain the domain
   * @param preference the preference (lower first)
   * @param host the exchange host
   * @return this
   */
  public DnsTestServer mx(String domain, int preference, String host) {
    return mx(domain, preference, host, defaultTtl);
  }

  /**
   * Adds an MX record.
   *
   * @param domain the domain
   * @param preference the preference, 0 to 65535
   * @param host the exchange host
   * @param ttl the TTL
   * @return this
   */
  public DnsTestServer mx(String domain, int preference, String host, Duration ttl) {
    return add(new MXRecord(name(domain), DClass.IN, ttl(ttl), preference, name(host)));
  }

  /**
   * Adds the null MX ({@code MX 0 .}) that says the domain accepts no mail (RFC 7505).
   *
   * @param domain the domain
   * @return this
   */
  public DnsTestServer nullMx(String domain) {
    return add(new MXRecord(name(domain), DClass.IN, ttl(defaultTtl), 0, Name.root));
  }

  /**
   * Adds A or AAAA records (by address family) with the default TTL.
   *
   * @param host the host name
   * @param addresses IP literals such as {@code 127.0.0.2} or {@code ::1}
   * @return this
   */
  public DnsTestServer address(String host, String... addresses) {
    return address(host, defaultTtl, addresses);
  }

  /**
   * Adds A or AAAA records (by address family).
   *
   * @param host the host name
   * @param ttl the TTL
   * @param addresses IP literals
   * @return this
   */
  public DnsTestServer address(String host, Duration ttl, String... addresses) {
    for (String a : addresses) {
      InetAddress ip = literal(a);
      add(ip.getAddress().length == 4
          ? new ARecord(name(host), DClass.IN, ttl(ttl), ip)
          : new AAAARecord(name(host), DClass.IN, ttl(ttl), ip));
    }
    return this;
  }

  private static InetAddress literal(String a) {
    if (!a.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
      throw new IllegalArgumentException("not an IP address literal: " + a);
    }
    try {
      return InetAddress.getByName(a);
    } catch (IOException e) {
      throw new IllegalArgumentException("not an IP address literal: " + a, e);
    }
  }

  /**
   * Adds a CNAME: {@code alias} is another name for {@code target}.
   *
   * @param alias the alias
   * @param target the canonical name
   * @return this
   */
  public DnsTestServer cname(String alias, String target) {
    return add(new CNAMERecord(name(alias), DClass.IN, ttl(defaultTtl), name(target)));
  }

  /**
   * Adds a TXT record with one string.
   *
   * @param owner the owner name
   * @param text the text
   * @return this
   */
  public DnsTestServer txt(String owner, String text) {
    return add(new TXTRecord(name(owner), DClass.IN, ttl(defaultTtl), text));
  }

  /**
   * Adds a PTR record for an address (in in-addr.arpa or ip6.arpa).
   *
   * @param address an IP literal
   * @param host the host name it maps to
   * @return this
   */
  public DnsTestServer ptr(String address, String host) {
    return add(new PTRRecord(ReverseMap.fromAddress(literal(address)), DClass.IN,
        ttl(defaultTtl), name(host)));
  }

  /**
   * Removes every record of a name and makes it answer NXDOMAIN (RFC 8020).
   *
   * @param name the name
   * @return this
   */
  public DnsTestServer nxdomain(String name) {
    records.remove(name(name));
    return rcode(name, Rcode.NXDOMAIN);
  }

  /**
   * Makes a name answer SERVFAIL (a transient failure).
   *
   * @param name the name
   * @return this
   */
  public DnsTestServer servfail(String name) {
    return rcode(name, Rcode.SERVFAIL);
  }

  /**
   * Makes a name answer with the given RCODE and no records.
   *
   * @param name the name
   * @param rcode an RCODE such as {@link Rcode#REFUSED}
   * @return this
   */
  public DnsTestServer rcode(String name, int rcode) {
    if (rcode < 0 || rcode > 15) {
      throw new IllegalArgumentException("rcode must be 0..15: " + rcode);
    }
    rcodes.put(name(name), rcode);
    return this;
  }

  /**
   * Delays every answer for a name.
   *
   * @param name the name
   * @param delay the delay
   * @return this
   */
  public DnsTestServer delay(String name, Duration delay) {
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative: " + delay);
    }
    delays.put(name(name), delay);
    return this;
  }

  /**
   * Never answers queries for a name (the resolver times out).
   *
   * @param name the name
   * @return this
   */
  public DnsTestServer noAnswer(String name) {
    silent.add(name(name));
    return this;
  }

  /**
   * Answers UDP queries for a name with the TC bit and no records, so the resolver must retry
   * over TCP (RFC 7766), where the full answer is given.
   *
   * @param name the name
   * @return this
   */
  public DnsTestServer truncateOverUdp(String name) {
    truncated.add(name(name));
    return this;
  }

  /**
   * Forgets every record, fault and count.
   *
   * @return this
   */
  public DnsTestServer clear() {
    records.clear();
    rcodes.clear();
    delays.clear();
    truncated.clear();
    silent.clear();
    counts.clear();
    tcpQueries.set(0);
    udpQueries.set(0);
    return this;
  }

  // ---- observing

  /**
   * The number of queries for a name, any type, over UDP and TCP.
   *
   * @param name the name
   * @return the count
   */
  public int queryCount(String name) {
    AtomicInteger c = counts.get(name(name).toString().toLowerCase(Locale.ROOT));
    return c == null ? 0 : c.get();
  }

  /**
   * The number of queries for a name and type.
   *
   * @param name the name
   * @param type a type such as {@link Type#MX}
   * @return the count
   */
  public int queryCount(String name, int type) {
    AtomicInteger c = counts.get(name(name).toString().toLowerCase(Locale.ROOT) + " "
        + Type.string(type));
    return c == null ? 0 : c.get();
  }

  /**
   * The number of queries received over TCP.
   *
   * @return the count
   */
  public int tcpQueryCount() {
    return tcpQueries.get();
  }

  /**
   * The number of queries received over UDP.
   *
   * @return the count
   */
  public int udpQueryCount() {
    return udpQueries.get();
  }

  /**
   * The server's address.
   *
   * @return the loopback address
   */
  public InetAddress address() {
    return tcp.getInetAddress();
  }

  /**
   * The port, the same for UDP and TCP.
   *
   * @return the port
   */
  public int port() {
    return tcp.getLocalPort();
  }

  /**
   * The server's socket address.
   *
   * @return address and port
   */
  public InetSocketAddress socketAddress() {
    return new InetSocketAddress(address(), port());
  }

  /**
   * A new dnsjava resolver that asks only this server, with a 2 second timeout.
   *
   * @return the resolver
   */
  public SimpleResolver resolver() {
    SimpleResolver r = new SimpleResolver(socketAddress());
    r.setTimeout(Duration.ofSeconds(2));
    return r;
  }

  // ---- answering

  private void count(Name qname, int qtype, boolean overTcp) {
    String n = qname.toString().toLowerCase(Locale.ROOT);
    counts.computeIfAbsent(n, k -> new AtomicInteger()).incrementAndGet();
    counts.computeIfAbsent(n + " " + Type.string(qtype), k -> new AtomicInteger())
        .incrementAndGet();
    (overTcp ? tcpQueries : udpQueries).incrementAndGet();
  }

  /** Builds the answer; null means send nothing. */
  private byte[] answer(byte[] wire, boolean overTcp) throws InterruptedException {
    Message query;
    try {
      query = new Message(wire);
    } catch (IOException e) {
      LOG.debug("malformed DNS query ignored: {}", e.toString());
      return null;
    }
    Message resp = new Message(query.getHeader().getID());
    resp.getHeader().setFlag(Flags.QR);
    resp.getHeader().setFlag(Flags.AA);
    resp.getHeader().setFlag(Flags.RA);
    if (query.getHeader().getFlag(Flags.RD)) {
      resp.getHeader().setFlag(Flags.RD);
    }
    Record q = query.getQuestion();
    if (q == null || query.getHeader().getOpcode() != Opcode.QUERY) {
      resp.getHeader().setRcode(Rcode.FORMERR);
      return resp.toWire();
    }
    resp.addRecord(q, Section.QUESTION);
    Name qname = q.getName();
    int qtype = q.getType();
    count(qname, qtype, overTcp);
    if (silent.contains(qname)) {
      return null;
    }
    Duration d = delays.get(qname);
    if (d != null) {
      Thread.sleep(d.toMillis());
    }
    OPTRecord opt = query.getOPT();
    int max = overTcp ? 65535 : opt == null ? 512 : Math.max(512, opt.getPayloadSize());
    if (opt != null) {
      resp.addRecord(new OPTRecord(Math.min(4096, max), 0, 0), Section.ADDITIONAL);
    }
    if (!overTcp && truncated.contains(qname)) {
      resp.getHeader().setFlag(Flags.TC);
      return resp.toWire(max);
    }
    Integer forced = rcodes.get(qname);
    if (forced != null) {
      resp.getHeader().setRcode(forced);
      if (forced == Rcode.NXDOMAIN) {
        resp.addRecord(soa(qname), Section.AUTHORITY);
      }
      return resp.toWire(max);
    }
    Name current = qname;
    for (int hops = 0; hops < 8; hops++) {
      List<Record> rs = records.get(current);
      if (rs == null) {
        if (current.equals(qname)) {
          resp.getHeader().setRcode(Rcode.NXDOMAIN);
        }
        resp.addRecord(soa(current), Section.AUTHORITY);
        break;
      }
      boolean found = false;
      Name next = null;
      for (Record r : rs) {
        if (r.getType() == qtype || qtype == Type.ANY) {
          resp.addRecord(r, Section.ANSWER);
          found = true;
        } else if (r.getType() == Type.CNAME && qtype != Type.CNAME) {
          resp.addRecord(r, Section.ANSWER);
          next = ((CNAMERecord) r).getTarget();
        }
      }
      if (next != null && !found) {
        current = next;
        continue;
      }
      if (!found) {
        resp.addRecord(soa(current), Section.AUTHORITY); // NODATA, RFC 2308 section 2.2
      }
      break;
    }
    return resp.toWire(max);
  }

  private SOARecord soa(Name name) {
    Name zone = name.labels() > 2 ? new Name(name, name.labels() - 2) : Name.root;
    try {
      Name ns = Name.fromString("ns.relaymail.test.");
      Name admin = Name.fromString("hostmaster.relaymail.test.");
      long neg = negativeTtl.getSeconds();
      return new SOARecord(zone, DClass.IN, neg, ns, admin, 1, 3600, 600, 86400, neg);
    } catch (TextParseException e) {
      throw new IllegalStateException(e);
    }
  }

  private void udpLoop() {
    byte[] buf = new byte[65535];
    while (!closed) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      try {
        udp.receive(p);
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("DNS test server UDP receive failed", e);
        }
        return;
      }
      byte[] wire = java.util.Arrays.copyOf(p.getData(), p.getLength());
      java.net.SocketAddress from = p.getSocketAddress();
      try {
        workers.execute(() -> {
          try {
            byte[] out = answer(wire, false);
            if (out != null && !closed) {
              udp.send(new DatagramPacket(out, out.length, from));
            }
          } catch (IOException e) {
            if (!closed) {
              LOG.debug("DNS test server UDP send failed: {}", e.toString());
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        LOG.debug("DNS test server closing, UDP query dropped");
        return;
      }
    }
  }

  private void tcpLoop() {
    while (!closed) {
      Socket s;
      try {
        s = tcp.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("DNS test server TCP accept failed", e);
        }
        return;
      }
      tcpClients.add(s);
      try {
        workers.execute(() -> serveTcp(s));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        closeQuietly(s);
        return;
      }
    }
  }

  private void serveTcp(Socket s) {
    try (s) {
      s.setSoTimeout(30_000);
      DataInputStream in = new DataInputStream(s.getInputStream());
      OutputStream out = s.getOutputStream();
      while (!closed) {
        int len;
        try {
          len = in.readUnsignedShort();
        } catch (EOFException e) {
          return;
        }
        byte[] wire = new byte[len];
        in.readFully(wire);
        byte[] ans = answer(wire, true);
        if (ans == null) {
          continue;
        }
        byte[] framed = new byte[ans.length + 2];
        framed[0] = (byte) (ans.length >>> 8);
        framed[1] = (byte) ans.length;
        System.arraycopy(ans, 0, framed, 2, ans.length);
        out.write(framed);
        out.flush();
      }
    } catch (SocketException e) {
      LOG.trace("DNS TCP connection closed: {}", e.toString());
    } catch (IOException e) {
      if (!closed) {
        LOG.debug("DNS TCP connection failed: {}", e.toString());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      tcpClients.remove(s);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      LOG.debug("closing DNS TCP socket: {}", e.toString());
    }
  }

  /** Stops the server and its threads (waits up to 10 seconds). Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    udp.close();
    try {
      tcp.close();
    } catch (IOException e) {
      LOG.debug("closing DNS TCP server socket: {}", e.toString());
    }
    for (Socket s : tcpClients) {
      closeQuietly(s);
    }
    workers.shutdownNow();
    try {
      udpThread.join(10_000);
      tcpThread.join(10_000);
      if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.warn("DNS test server workers did not end");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Configures a {@link DnsTestServer}. Not thread-safe. */
  public static final class Builder {
    private InetAddress address = Loopback.v4(1);
    private int port;
    private Duration defaultTtl = Duration.ofMinutes(5);
    private Duration negativeTtl = Duration.ofMinutes(1);

    private Builder() {}

    /**
     * The loopback address (default 127.0.0.1).
     *
     * @param address a loopback address
     * @return this
     */
    public Builder address(InetAddress address) {
      this.address = Loopback.requireLoopback(address);
      return this;
    }

    /**
     * The port for UDP and TCP; 0 (default) picks a free one.
     *
     * @param port 0 to 65535
     * @return this
     */
    public Builder port(int port) {
      this.port = Loopback.requirePort(port);
      return this;
    }

    /**
     * The TTL of records added without one (default 5 minutes).
     *
     * @param ttl the TTL
     * @return this
     */
    public Builder defaultTtl(Duration ttl) {
      if (ttl.isNegative()) {
        throw new IllegalArgumentException("defaultTtl must not be negative: " + ttl);
      }
      this.defaultTtl = ttl;
      return this;
    }

    /**
     * The negative-caching TTL in the SOA of NXDOMAIN and NODATA answers (RFC 2308), default 1
     * minute.
     *
     * @param ttl the TTL
     * @return this
     */
    public Builder negativeTtl(Duration ttl) {
      if (ttl.isNegative()) {
        throw new IllegalArgumentException("negativeTtl must not be negative: " + ttl);
      }
      this.negativeTtl = ttl;
      return this;
    }

    /**
     * Binds and starts the server.
     *
     * @return the running server
     * @throws IOException if it cannot bind
     */
    public DnsTestServer start() throws IOException {
      return new DnsTestServer(this);
    }
  }
}
