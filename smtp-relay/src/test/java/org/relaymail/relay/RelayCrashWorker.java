package org.relaymail.relay;

import java.io.FileOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The child JVM of {@link RelayCrashTest}: a RelayClient on a spool directory, sending numbered
 * messages as fast as it can and appending each accepted subject to a file after {@code send()}
 * returned; the parent kills it with SIGKILL at a random moment. Arguments: spool, DNS port, MX
 * port, first message number, accepted-file.
 */
public final class RelayCrashWorker {
  private RelayCrashWorker() {}

  /**
   * Runs until killed.
   *
   * @param args spool, dns port, mx port, first number, accepted file
   * @throws Exception on any failure (the parent sees the exit)
   */
  public static void main(String[] args) throws Exception {
    Path spool = Path.of(args[0]);
    int dnsPort = Integer.parseInt(args[1]);
    int mxPort = Integer.parseInt(args[2]);
    int first = Integer.parseInt(args[3]);
    try (RelayClient relay = RelayClient.builder()
            .spoolDirectory(spool)
            .heloName("relay.example.net")
            .dns(DnsSettings.builder().server(new InetSocketAddress("127.0.0.1", dnsPort)).timeout(Duration.ofSeconds(5)).retries(2).build())
            .routing(Routing.builder().mxPort(mxPort).build())
            .build();
        OutputStream accepted = new FileOutputStream(args[4], true)) {
      for (int i = first; ; i++) {
        String subject = "crash-" + i;
        relay.send(RelayClientMxTest.message("app@example.net", subject, "user" + (i % 5) + "@example.test"));
        // written after send() returned: the message was acknowledged durable
        accepted.write((subject + "\n").getBytes(StandardCharsets.US_ASCII));
      }
    }
  }
}
