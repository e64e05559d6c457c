package org.relaymail.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A self-signed certificate generated at run time (by the JDK's {@code keytool}) for TLS tests:
 * server key material for the test peers, trust material for clients, and PEM files for Postfix.
 * Its subject alternative names are {@code localhost}, {@code relaymail.test},
 * {@code *.relaymail.test}, {@code 127.0.0.1} and {@code ::1} plus any names given. Immutable and
 * thread-safe. The files live in a temporary directory deleted when the JVM exits.
 */
public final class TestCertificate {
  private static final Logger LOG = LoggerFactory.getLogger(TestCertificate.class);
  private static final char[] PASSWORD = "relaymail-test".toCharArray();
  private static volatile TestCertificate shared;

  private final KeyStore keyStore;
  private final X509Certificate certificate;
  private final PrivateKey privateKey;
  private final Path directory;

  private TestCertificate(KeyStore keyStore, X509Certificate certificate, PrivateKey key,
      Path directory) {
    this.keyStore = keyStore;
    this.certificate = certificate;
    this.privateKey = key;
    this.directory = directory;
  }

  /**
   * The certificate shared by every test in this JVM, generated on first use.
   *
   * @return the shared certificate
   * @throws UncheckedIOException if keytool fails
   */
  public static TestCertificate shared() {
    TestCertificate c = shared;
    if (c == null) {
      synchronized (TestCertificate.class) {
        c = shared;
        if (c == null) {
          c = generate();
          shared = c;
        }
      }
    }
    return c;
  }

  /**
   * Generates a new certificate (takes a second or so: keytool runs as a process).
   *
   * @param extraDnsNames further DNS names for the subject alternative name
   * @return the certificate
   * @throws UncheckedIOException if keytool fails
   */
  public static TestCertificate generate(String... extraDnsNames) {
    try {
      Path dir = Files.createTempDirectory("relaymail-cert");
      dir.toFile().deleteOnExit();
      Path p12 = dir.resolve("server.p12");
      StringBuilder san = new StringBuilder(
          "SAN=dns:localhost,dns:relaymail.test,dns:*.relaymail.test,ip:127.0.0.1,ip:::1");
      for (String n : extraDnsNames) {
        if (!n.matches("[A-Za-z0-9*.-]+")) {
          throw new IllegalArgumentException("not a DNS name: " + n);
        }
        san.append(",dns:").append(n);
      }
      Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
      List<String> cmd = new ArrayList<>(List.of(keytool.toString(), "-genkeypair", "-alias",
          "server", "-keyalg", "RSA", "-keysize", "2048", "-validity", "3650", "-dname",
          "CN=localhost, O=relaymail test", "-ext", san.toString(), "-storetype", "PKCS12",
          "-keystore", p12.toString(), "-storepass", new String(PASSWORD), "-keypass",
          new String(PASSWORD)));
      Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!proc.waitFor(60, TimeUnit.SECONDS) || proc.exitValue() != 0) {
        throw new IOException("keytool failed: " + out);
      }
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(p12)) {
        ks.load(in, PASSWORD);
      }
      X509Certificate cert = (X509Certificate) ks.getCertificate("server");
      PrivateKey key = (PrivateKey) ks.getKey("server", PASSWORD);
      Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
      Path certPem = dir.resolve("cert.pem");
      Files.writeString(certPem, "-----BEGIN CERTIFICATE-----\n"
          + b64.encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n");
      Path keyPem = dir.resolve("key.pem");
      Files.writeString(keyPem, "-----BEGIN PRIVATE KEY-----\n"
          + b64.encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n");
      Files.setPosixFilePermissions(keyPem, PosixFilePermissions.fromString("rw-------"));
      for (Path f : List.of(p12, certPem, keyPem)) {
        f.toFile().deleteOnExit();
      }
      LOG.debug("generated test certificate in {}", dir);
      return new TestCertificate(ks, cert, key, dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new IOException("interrupted while running keytool", e));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot load the generated key store", e);
    }
  }

  /**
   * The certificate.
   *
   * @return the X.509 certificate
   */
  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * The private key.
   *
   * @return the key
   */
  public PrivateKey privateKey() {
    return privateKey;
  }

  /**
   * A key store (PKCS12, password from {@link #password()}) holding the key and certificate
   * under alias {@code server}.
   *
   * @return the key store
   */
  public KeyStore keyStore() {
    return keyStore;
  }

  /**
   * The password of {@link #keyStore()} and of its key.
   *
   * @return a copy of the password
   */
  public char[] password() {
    return PASSWORD.clone();
  }

  /**
   * A trust store holding only this certificate, for clients.
   *
   * @return the trust store
   */
  public KeyStore trustStore() {
    try {
      KeyStore ts = KeyStore.getInstance("PKCS12");
      ts.load(null, null);
      ts.setCertificateEntry("relaymail-test", certificate);
      return ts;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a trust store", e);
    }
  }

  /**
   * A trust manager trusting only this certificate.
   *
   * @return the trust manager
   */
  public X509TrustManager trustManager() {
    try {
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trustStore());
      return (X509TrustManager) tmf.getTrustManagers()[0];
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot build a trust manager", e);
    }
  }

  /**
   * A TLS context for servers presenting this certificate.
   *
   * @return a new server context
   */
  public SSLContext serverContext() {
    try {
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keyStore, PASSWORD);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot build a server TLS context", e);
    }
  }

  /**
   * A TLS context for clients that trusts this certificate only.
   *
   * @return a new client context
   */
  public SSLContext clientContext() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new javax.net.ssl.TrustManager[] {trustManager()}, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot build a client TLS context", e);
    }
  }

  /**
   * The certificate as a PEM file (for Postfix's {@code smtpd_tls_cert_file}, or openssl).
   *
   * @return the path
   */
  public Path certificatePem() {
    return directory.resolve("cert.pem");
  }

  /**
   * The private key as an unencrypted PKCS#8 PEM file, mode 0600.
   *
   * @return the path
   */
  public Path privateKeyPem() {
    return directory.resolve("key.pem");
  }
}
