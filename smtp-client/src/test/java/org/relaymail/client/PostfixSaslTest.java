package org.relaymail.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.relaymail.testsupport.PostfixInstance;
import org.relaymail.testsupport.TestCertificate;

/**
 * CRAM-MD5 (RFC 2195), PLAIN and LOGIN against a real server: a private Postfix {@code smtpd}
 * with Cyrus SASL reading its own sasldb (Debian packages sasl2-bin and libsasl2-modules), set up
 * in {@code <config_directory>/sasl/smtpd.conf}, where Debian's smtpd looks for it.
 */
class PostfixSaslTest {
  private static final Path SASLPASSWD2 = Path.of("/usr/sbin/saslpasswd2");
  private static final Path CRAM_PLUGIN = Path.of("/usr/lib/x86_64-linux-gnu/sasl2/libcrammd5.so");

  static Optional<String> unavailableReason() {
    Optional<String> postfix = PostfixInstance.unavailableReason();
    if (postfix.isPresent()) {
      return postfix;
    }
    if (!Files.isExecutable(SASLPASSWD2)) {
      return Optional.of(SASLPASSWD2 + " is not installed (Debian package sasl2-bin)");
    }
    if (!Files.exists(CRAM_PLUGIN)) {
      return Optional.of(CRAM_PLUGIN + " is missing (Debian package libsasl2-modules)");
    }
    return Optional.empty();
  }

  @Test
  void cramMd5PlainAndLoginAgainstPostfixWithCyrusSasl() throws Exception {
    RealPostfixTest.require(unavailableReason());
    Path dir = Files.createTempDirectory("relaymail-sasl");
    try {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path db = dir.resolve("sasldb2");
      Process p = new ProcessBuilder(SASLPASSWD2.toString(), "-f", db.toString(), "-c", "-p",
          "-u", "relaymail.test", "alice").redirectErrorStream(true).start();
      p.getOutputStream().write("pw-\u00e9t\u00e9\n".getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "saslpasswd2: " + out);
      UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
      Files.setOwner(db, users.lookupPrincipalByName("postfix"));
      String smtpdConf = String.join("\n",
          "pwcheck_method: auxprop",
          "auxprop_plugin: sasldb",
          "mech_list: PLAIN LOGIN CRAM-MD5",
          "sasldb_path: " + db,
          "");
      try (PostfixInstance postfix = PostfixInstance.builder()
          .startTls(TestCertificate.shared())
          .mainCf("smtpd_sasl_auth_enable", "yes")
          .mainCf("smtpd_sasl_type", "cyrus")
          .mainCf("smtpd_sasl_path", "smtpd")
          .mainCf("smtpd_sasl_local_domain", "relaymail.test")
          .mainCf("smtpd_tls_auth_only", "no")
          .start()) {
        // Debian's smtpd reads <config_directory>/sasl/smtpd.conf (cyrus_sasl_config_path is
        // not used), when its first process starts: before the first connection
        Path sasl = Files.createDirectories(postfix.directory().resolve("etc").resolve("sasl"));
        Files.writeString(sasl.resolve("smtpd.conf"), smtpdConf);
        Route base = Route.builder(postfix.address().getHostAddress(), postfix.port())
            .tlsMode(TlsMode.REQUIRED).heloName("client.example.test").build();
        ConnectionSettings cfg = RealPostfixTest.settings().allowAuthWithoutTls(true).build();
        for (String mech : List.of("CRAM-MD5", "PLAIN", "LOGIN")) {
          TlsMode mode = mech.equals("CRAM-MD5") ? TlsMode.NONE : TlsMode.REQUIRED;
          Route r = base.toBuilder().tlsMode(mode)
              .credentials(Credentials.password("alice", "pw-\u00e9t\u00e9").withMechanisms(mech))
              .build();
          try (SmtpConnection c = SmtpConnection.open(r, cfg)) {
            assertEquals(mech, c.authMechanism(), postfix.logTail().toString());
            assertTrue(c.send(Envelope.of("alice@example.test", "b@example.test"),
                MessageContent.of(ScriptedPeerTest.BODY)).allAccepted());
          } catch (IOException e) {
            throw new AssertionError(mech + " failed: " + e + "; postfix log: "
                + postfix.logTail(), e);
          }
          SmtpReplyException bad = assertThrows(SmtpReplyException.class,
              () -> SmtpConnection.open(r.toBuilder()
                  .credentials(Credentials.password("alice", "wrong").withMechanisms(mech))
                  .build(), cfg), mech);
          assertEquals(SmtpReplyException.Stage.AUTH, bad.stage());
          assertEquals(535, bad.reply().code(), bad.toString());
        }
        assertEquals(3, postfix.awaitDelivered(3, Duration.ofSeconds(60)));
        assertTrue(String.join("\n", postfix.logTail()).contains("sasl_method=CRAM-MD5"),
            "Postfix logged the CRAM-MD5 login");
      }
    } finally {
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    }
  }
}
