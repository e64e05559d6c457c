package org.relaymail.relay.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.relaymail.relay.DnsSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Looks up one record type for one absolute name through a {@link DnsTransport}, follows CNAMEs
 * (up to a limit), and caches answers in Caffeine for their TTL: positive answers for the smallest
 * TTL along the chain, negative answers (NXDOMAIN, NODATA) for the SOA's TTL and minimum (RFC 2308
 * section 5). Temporary failures are not cached. Time comes from the injected {@link Ticker}.
 * Thread-safe.
 */
public final class DnsLookup {
  private static final Logger LOG = LoggerFactory.getLogger(DnsLookup.class);

  private record Key(Name name, int type) {}

  private final DnsTransport transport;
  private final DnsSettings settings;
  private final Cache<Key, DnsAnswer> cache;

  /**
   * Creates the lookup.
   *
   * @param transport where queries go
   * @param settings cache caps and the CNAME limit
   * @param ticker the cache's time source ({@link Ticker#systemTicker()} in production)
   */
  public DnsLookup(DnsTransport transport, DnsSettings settings, Ticker ticker) {
    this.transport = transport;
    this.settings = settings;
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(settings.cacheSize())
            .ticker(ticker)
            .executor(Runnable::run)
            .expireAfter(
                new Expiry<Key, DnsAnswer>() {
                  @Override
                  public long expireAfterCreate(Key key, DnsAnswer value, long currentTime) {
                    return TimeUnit.SECONDS.toNanos(value.ttlSeconds());
                  }

                  @Override
                  public long expireAfterUpdate(
                      Key key, DnsAnswer value, long currentTime, long currentDuration) {
                    return TimeUnit.SECONDS.toNanos(value.ttlSeconds());
                  }

                  @Override
                  public long expireAfterRead(
                      Key key, DnsAnswer value, long currentTime, long currentDuration) {
                    return currentDuration;
                  }
                })
            .build();
  }

  /**
   * Looks up records, answering from the cache when it can.
   *
   * @param name an absolute name
   * @param type a record type, e.g. {@link Type#MX}
   * @return the answer; never throws for DNS trouble (that is {@link DnsAnswer.Status#TEMP_FAIL})
   */
  public DnsAnswer lookup(Name name, int type) {
    if (!name.isAbsolute()) {
      throw new IllegalArgumentException("DNS names must be absolute: " + name);
    }
    Key key = new Key(name, type);
    DnsAnswer cached = cache.getIfPresent(key);
    if (cached != null) {
      return cached;
    }
    DnsAnswer answer = resolve(name, type);
    if (answer.status() != DnsAnswer.Status.TEMP_FAIL && answer.ttlSeconds() > 0) {
      cache.put(key, answer);
    }
    return answer;
  }

  /** Drops every cached answer. */
  public void invalidateAll() {
    cache.invalidateAll();
  }

  private DnsAnswer resolve(Name name, int type) {
    String what = name + " " + Type.string(type);
    Name current = name;
    long ttl = Long.MAX_VALUE;
    int cnames = 0;
    while (true) {
      Message response;
      try {
        Message query = Message.newQuery(Record.newRecord(current, type, DClass.IN));
        response = transport.send(query);
      } catch (IOException e) {
        String kind = isTimeout(e) ? "timed out" : "failed: " + e.getMessage();
        LOG.debug("DNS query {} {}", what, kind, e);
        return tempFail(name, "DNS query for " + what + " " + kind);
      }
      int rcode = response.getRcode();
      if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
        return tempFail(name, "DNS query for " + what + " answered " + Rcode.string(rcode));
      }
      if (response.getHeader().getFlag(Flags.TC)) {
        return tempFail(name, "DNS answer for " + what + " truncated even over TCP");
      }
      // Walk the answer section along the CNAME chain.
      List<Record> answers = response.getSection(Section.ANSWER);
      boolean followed = false;
      while (true) {
        List<Record> found = new ArrayList<>();
        long foundTtl = Long.MAX_VALUE;
        CNAMERecord cname = null;
        for (Record r : answers) {
          if (!r.getName().equals(current)) {
            continue;
          }
          if (r.getType() == type) {
            found.add(r);
            foundTtl = Math.min(foundTtl, r.getTTL());
          } else if (r.getType() == Type.CNAME && type != Type.CNAME) {
            cname = (CNAMERecord) r;
          }
        }
        if (!found.isEmpty()) {
          long t = Math.min(ttl, foundTtl);
          return new DnsAnswer(
              DnsAnswer.Status.FOUND, current, found, cap(t, settings.maxCacheTtl().toSeconds()), "");
        }
        if (cname == null) {
          break;
        }
        if (++cnames > settings.maxCnameChain()) {
          return tempFail(
              name,
              "DNS lookup of " + what + " followed more than " + settings.maxCnameChain()
                  + " CNAME records (a loop?)");
        }
        ttl = Math.min(ttl, cname.getTTL());
        current = cname.getTarget();
        followed = true;
      }
      if (rcode == Rcode.NXDOMAIN) {
        return new DnsAnswer(
            DnsAnswer.Status.NX_DOMAIN,
            current,
            List.of(),
            negativeTtl(response, ttl),
            "DNS says " + current + " does not exist (NXDOMAIN)");
      }
      if (followed && !hasSoa(response)) {
        // The chain ended in the answer without the target's records or a NODATA proof: ask for
        // the target itself.
        continue;
      }
      return new DnsAnswer(
          DnsAnswer.Status.NO_DATA,
          current,
          List.of(),
          negativeTtl(response, ttl),
          "DNS has no " + Type.string(type) + " record for " + current);
    }
  }

  private static boolean hasSoa(Message response) {
    for (Record r : response.getSection(Section.AUTHORITY)) {
      if (r.getType() == Type.SOA) {
        return true;
      }
    }
    return false;
  }

  private long negativeTtl(Message response, long chainTtl) {
    for (Record r : response.getSection(Section.AUTHORITY)) {
      if (r instanceof SOARecord soa) {
        long t = Math.min(Math.min(soa.getTTL(), soa.getMinimum()), chainTtl);
        return cap(t, settings.maxNegativeCacheTtl().toSeconds());
      }
    }
    // RFC 2308 section 5: without an SOA a negative answer is not cached.
    return 0;
  }

  private static long cap(long ttl, long max) {
    return Math.max(0, Math.min(ttl, max));
  }

  private static DnsAnswer tempFail(Name name, String detail) {
    return new DnsAnswer(DnsAnswer.Status.TEMP_FAIL, name, List.of(), 0, detail);
  }

  private static boolean isTimeout(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SocketTimeoutException || t instanceof TimeoutException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
