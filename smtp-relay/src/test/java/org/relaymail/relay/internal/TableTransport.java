package org.relaymail.relay.internal;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
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
 * A DNS transport answering from an in-memory zone, as an authoritative server would (answer
 * section with the CNAME chain inside the zone, SOA in the authority section of negative
 * answers). For unit tests of the resolution logic; wire behaviour is tested against the loopback
 * DNS test server.
 */
final class TableTransport implements DnsTransport {
  private final List<Record> records = new ArrayList<>();
  private final Set<Name> servfail = new HashSet<>();
  private final Set<Name> silent = new HashSet<>();
  final AtomicInteger queries = new AtomicInteger();
  private final SOARecord soa;
  private boolean chaseCnamesInAnswer = true;

  TableTransport(long soaTtl, long soaMinimum) {
    Name zone = Name.root;
    soa =
        new SOARecord(
            zone, DClass.IN, soaTtl, name("ns.test."), name("hostmaster.test."), 1, 3600, 600,
            86400, soaMinimum);
  }

  static Name name(String s) {
    return Name.fromConstantString(s);
  }

  TableTransport add(String rr) {
    try {
      records.add(Record.fromString(name(split(rr)[0]), typeOf(rr), DClass.IN, ttlOf(rr), rdataOf(rr), Name.root));
    } catch (IOException e) {
      throw new IllegalArgumentException(rr, e);
    }
    return this;
  }

  // "owner ttl TYPE rdata"
  private static String[] split(String rr) {
    return rr.trim().split("\\s+", 4);
  }

  private static int typeOf(String rr) {
    return Type.value(split(rr)[2]);
  }

  private static long ttlOf(String rr) {
    return Long.parseLong(split(rr)[1]);
  }

  private static String rdataOf(String rr) {
    return split(rr)[3];
  }

  TableTransport servfail(String n) {
    servfail.add(name(n));
    return this;
  }

  TableTransport silent(String n) {
    silent.add(name(n));
    return this;
  }

  TableTransport noCnameChasing() {
    chaseCnamesInAnswer = false;
    return this;
  }

  @Override
  public Message send(Message query) throws IOException {
    queries.incrementAndGet();
    Record q = query.getQuestion();
    Message response = new Message(query.getHeader().getID());
    response.getHeader().setFlag(Flags.QR);
    response.getHeader().setFlag(Flags.AA);
    response.addRecord(q, Section.QUESTION);
    Name current = q.getName();
    if (silent.contains(current)) {
      throw new IOException(new SocketTimeoutException("no answer from table for " + current));
    }
    if (servfail.contains(current)) {
      response.getHeader().setRcode(Rcode.SERVFAIL);
      return response;
    }
    Set<Name> seen = new HashSet<>();
    while (seen.add(current)) {
      List<Record> exact = find(current, q.getType());
      if (!exact.isEmpty()) {
        exact.forEach(r -> response.addRecord(r, Section.ANSWER));
        return response;
      }
      List<Record> cname = find(current, Type.CNAME);
      if (!cname.isEmpty()) {
        response.addRecord(cname.get(0), Section.ANSWER);
        current = ((CNAMERecord) cname.get(0)).getTarget();
        if (!chaseCnamesInAnswer) {
          return response;
        }
        continue;
      }
      if (!exists(current)) {
        response.getHeader().setRcode(Rcode.NXDOMAIN);
      }
      response.addRecord(soa, Section.AUTHORITY);
      return response;
    }
    return response; // a CNAME loop: the chain as far as it goes
  }

  private List<Record> find(Name n, int type) {
    List<Record> out = new ArrayList<>();
    for (Record r : records) {
      if (r.getName().equals(n) && r.getType() == type) {
        out.add(r);
      }
    }
    return out;
  }

  private boolean exists(Name n) {
    return records.stream().anyMatch(r -> r.getName().equals(n));
  }
}
