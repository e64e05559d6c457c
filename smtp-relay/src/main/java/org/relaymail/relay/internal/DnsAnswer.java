package org.relaymail.relay.internal;

import java.util.List;
import java.util.Objects;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

/**
 * The outcome of one lookup (a name and a type, CNAMEs followed).
 *
 * @param status what DNS said
 * @param canonicalName the name the records belong to, after following CNAMEs
 * @param records the records of the asked type (empty unless {@link Status#FOUND})
 * @param ttlSeconds how long this answer may be cached (0: not at all)
 * @param detail a human-readable reason for a failure, naming the query ("" when found)
 */
public record DnsAnswer(
    Status status, Name canonicalName, List<Record> records, long ttlSeconds, String detail) {

  /** What DNS said about the name. */
  public enum Status {
    /** Records of the asked type exist. */
    FOUND,
    /** The name exists but has no records of the asked type (RFC 2308 "NODATA"). */
    NO_DATA,
    /** The name does not exist (NXDOMAIN). */
    NX_DOMAIN,
    /** No usable answer now: SERVFAIL, REFUSED, timeout, CNAME loop. Worth retrying later. */
    TEMP_FAIL
  }

  /** Validates and copies. */
  public DnsAnswer {
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(canonicalName, "canonicalName");
    records = List.copyOf(records);
    Objects.requireNonNull(detail, "detail");
    if ((status == Status.FOUND) == records.isEmpty()) {
      throw new IllegalArgumentException("records must be present exactly when FOUND: " + status);
    }
  }
}
