package org.relaymail.relay.internal;

import java.net.IDN;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import org.relaymail.relay.AddressPreference;
import org.relaymail.relay.MxHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Resolves a mail domain to its mail exchangers as RFC 5321 section 5.1 says: MX records in
 * preference order, equal preferences in random order, an implicit MX (the domain's own A/AAAA)
 * only when the domain has no MX records, a null MX ({@code MX 0 .}, RFC 7505) a permanent failure
 * (5.1.10), NXDOMAIN permanent (5.1.2), SERVFAIL and timeouts temporary (4.4.3). Each host's
 * addresses follow the {@link AddressPreference}. Address literals ({@code [192.0.2.1]}, {@code
 * [IPv6:2001:db8::1]}) need no DNS.
 *
 * <p>Thread-safe when its {@link Random} is (the JDK's is).
 */
public final class MxResolver {
  private static final Logger LOG = LoggerFactory.getLogger(MxResolver.class);

  private final DnsLookup lookup;
  private final Random random;

  /**
   * Creates the resolver.
   *
   * @param lookup the (caching) lookup
   * @param random shuffles equal preferences; seed it in tests
   */
  public MxResolver(DnsLookup lookup, Random random) {
    this.lookup = lookup;
    this.random = random;
  }

  /**
   * Resolves a domain.
   *
   * @param domain the mail domain, ASCII or Unicode (converted to A-labels), or an address literal
   * @param preference which address families to use
   * @return the hosts in order, or the failure
   */
  public MxResolution resolve(String domain, AddressPreference preference) {
    if (domain.startsWith("[") && domain.endsWith("]")) {
      return literal(domain);
    }
    String ascii = toAscii(domain);
    Name name;
    try {
      name = Name.fromString(ascii + ".");
    } catch (TextParseException e) {
      throw new IllegalArgumentException("not a valid domain name: " + domain, e);
    }
    DnsAnswer mx = lookup.lookup(name, Type.MX);
    switch (mx.status()) {
      case TEMP_FAIL:
        return MxResolution.failed(ascii, false, "4.4.3", mx.detail());
      case NX_DOMAIN:
        return MxResolution.failed(ascii, true, "5.1.2", mx.detail());
      case NO_DATA:
        return implicitMx(ascii, name, preference);
      case FOUND:
      default:
        return fromMxRecords(ascii, mx.records(), preference);
    }
  }

  /**
   * Resolves a host name to addresses without MX lookup, as for a smarthost. Every failure is
   * temporary (4.4.3 or 4.4.4): a smarthost that does not resolve is a configuration problem, and
   * mail waits for it to be fixed rather than bounce.
   *
   * @param host a host name, or an IPv4/IPv6 address (IPv6 with or without brackets)
   * @param preference which address families to use
   * @return the host with its addresses, or the failure
   */
  public MxResolution resolveHost(String host, AddressPreference preference) {
    String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (bare.contains(":") || bare.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
      InetAddress literal = parseLiteral(bare, bare.contains(":"));
      if (literal == null) {
        throw new IllegalArgumentException("not a valid IP address: " + host);
      }
      return new MxResolution(host, List.of(new MxHost(host, 0, List.of(literal))), false, Optional.empty());
    }
    String ascii = toAscii(host);
    Name name;
    try {
      name = Name.fromString(ascii + ".");
    } catch (TextParseException e) {
      throw new IllegalArgumentException("not a valid host name: " + host, e);
    }
    HostAddresses a = addresses(name, preference);
    if (a.addresses.isEmpty()) {
      boolean temp = a.tempFailure != null;
      return MxResolution.failed(
          ascii, false, temp ? "4.4.3" : "4.4.4", temp ? a.tempFailure : "no address for " + ascii + " (" + a.detail + ")");
    }
    return new MxResolution(ascii, List.of(new MxHost(ascii, 0, a.addresses)), false, Optional.empty());
  }

  private MxResolution implicitMx(String ascii, Name name, AddressPreference preference) {
    HostAddresses a = addresses(name, preference);
    if (a.addresses.isEmpty()) {
      if (a.tempFailure != null) {
        return MxResolution.failed(ascii, false, "4.4.3", a.tempFailure);
      }
      return MxResolution.failed(
          ascii, true, "5.4.4", "no MX and no address record for " + ascii + " (" + a.detail + ")");
    }
    return new MxResolution(
        ascii, List.of(new MxHost(ascii, 0, a.addresses)), true, Optional.empty());
  }

  private MxResolution fromMxRecords(String ascii, List<Record> records, AddressPreference pref) {
    List<MXRecord> mxs = new ArrayList<>();
    boolean nullMx = false;
    for (Record r : records) {
      MXRecord mx = (MXRecord) r;
      if (mx.getTarget().equals(Name.root)) {
        nullMx = true;
      } else {
        mxs.add(mx);
      }
    }
    if (mxs.isEmpty() && nullMx) {
      return MxResolution.failed(
          ascii, true, "5.1.10", "domain " + ascii + " does not accept mail (null MX, RFC 7505)");
    }
    if (nullMx) {
      LOG.warn("domain {} publishes a null MX beside other MX records; the null MX is ignored", ascii);
    }
    List<MXRecord> ordered = orderByPreference(mxs);
    List<MxHost> hosts = new ArrayList<>();
    String tempFailure = null;
    boolean anyAddress = false;
    StringBuilder details = new StringBuilder();
    for (MXRecord mx : ordered) {
      HostAddresses a = addresses(mx.getTarget(), pref);
      hosts.add(new MxHost(hostName(mx.getTarget()), mx.getPriority(), a.addresses));
      if (!a.addresses.isEmpty()) {
        anyAddress = true;
      } else {
        if (a.tempFailure != null && tempFailure == null) {
          tempFailure = a.tempFailure;
        }
        details.append(details.length() == 0 ? "" : "; ").append(a.detail);
      }
    }
    if (!anyAddress) {
      if (tempFailure != null) {
        return MxResolution.failed(ascii, false, "4.4.3", tempFailure);
      }
      return MxResolution.failed(
          ascii, true, "5.4.4", "no MX host of " + ascii + " has an address (" + details + ")");
    }
    return new MxResolution(ascii, hosts, false, Optional.empty());
  }

  /** Sorts by preference, shuffling each run of equal preferences (RFC 5321 section 5.1). */
  private List<MXRecord> orderByPreference(List<MXRecord> mxs) {
    List<MXRecord> sorted = new ArrayList<>(mxs);
    // Stable sort by preference, then by name so that the shuffle input does not depend on the
    // order of the DNS answer (reproducible with a seeded Random).
    sorted.sort(
        Comparator.comparingInt(MXRecord::getPriority)
            .thenComparing(m -> hostName(m.getTarget())));
    int i = 0;
    while (i < sorted.size()) {
      int j = i;
      while (j < sorted.size() && sorted.get(j).getPriority() == sorted.get(i).getPriority()) {
        j++;
      }
      for (int k = j - 1; k > i; k--) {
        int pick = i + random.nextInt(k - i + 1);
        MXRecord tmp = sorted.get(k);
        sorted.set(k, sorted.get(pick));
        sorted.set(pick, tmp);
      }
      i = j;
    }
    return sorted;
  }

  private static final class HostAddresses {
    final List<InetAddress> addresses = new ArrayList<>();
    String tempFailure;
    String detail = "";
  }

  private HostAddresses addresses(Name host, AddressPreference pref) {
    HostAddresses result = new HostAddresses();
    List<Integer> types = new ArrayList<>();
    if (pref == AddressPreference.PREFER_IPV6 || pref == AddressPreference.IPV6_ONLY) {
      types.add(Type.AAAA);
      if (pref.usesIpv4()) {
        types.add(Type.A);
      }
    } else {
      types.add(Type.A);
      if (pref.usesIpv6()) {
        types.add(Type.AAAA);
      }
    }
    List<String> details = new ArrayList<>();
    for (int type : types) {
      DnsAnswer answer = lookup.lookup(host, type);
      if (answer.status() == DnsAnswer.Status.FOUND) {
        for (Record r : answer.records()) {
          if (r instanceof ARecord a) {
            result.addresses.add(a.getAddress());
          } else if (r instanceof AAAARecord aaaa) {
            result.addresses.add(aaaa.getAddress());
          }
        }
      } else {
        details.add(answer.detail());
        if (answer.status() == DnsAnswer.Status.TEMP_FAIL && result.tempFailure == null) {
          result.tempFailure = answer.detail();
        }
      }
    }
    result.detail = String.join("; ", details);
    return result;
  }

  private static MxResolution literal(String domain) {
    String inner = domain.substring(1, domain.length() - 1);
    boolean v6 = inner.regionMatches(true, 0, "IPv6:", 0, 5);
    String text = v6 ? inner.substring(5) : inner;
    InetAddress address = parseLiteral(text, v6);
    if (address == null) {
      throw new IllegalArgumentException(
          "not a valid address literal (RFC 5321 section 4.1.3): " + domain);
    }
    return new MxResolution(
        domain, List.of(new MxHost(domain, 0, List.of(address))), true, Optional.empty());
  }

  private static InetAddress parseLiteral(String text, boolean v6) {
    if (v6 ? !text.matches("[0-9A-Fa-f:.]+") || !text.contains(":")
        : !text.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
      return null;
    }
    try {
      // Only digits, dots, colons and hex letters reach this: no name service lookup happens.
      InetAddress a = InetAddress.getByName(text);
      return (a.getAddress().length == 16) == v6 ? a : null;
    } catch (java.net.UnknownHostException e) {
      LOG.debug("bad address literal {}", text, e);
      return null;
    }
  }

  static String toAscii(String domain) {
    String d = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
    try {
      return IDN.toASCII(d, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a valid domain name: " + domain, e);
    }
  }

  private static String hostName(Name name) {
    String s = name.toString(true);
    return s.toLowerCase(Locale.ROOT);
  }
}
