package org.relaymail.testsupport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;

/**
 * Loopback helpers for tests: addresses in 127.0.0.0/8 and free ports. Thread-safe (stateless).
 */
public final class Loopback {
  private Loopback() {}

  /**
   * Returns 127.0.0.{@code n}.
   *
   * @param n the last octet, 1 to 254
   * @return the address
   */
  public static InetAddress v4(int n) {
    if (n < 1 || n > 254) {
      throw new IllegalArgumentException("last octet must be 1..254: " + n);
    }
    try {
      return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) n});
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Finds a TCP port that is free on the given loopback address at the moment of the call.
   *
   * @param address a loopback address
   * @return the port
   * @throws IOException if no port can be bound
   */
  public static int freePort(InetAddress address) throws IOException {
    if (!address.isLoopbackAddress()) {
      throw new IllegalArgumentException("not a loopback address: " + address);
    }
    try (ServerSocket s = new ServerSocket(0, 1, address)) {
      return s.getLocalPort();
    }
  }

  /**
   * Checks that a test server is asked to bind a loopback address, as every test peer must.
   *
   * @param address the address a builder was given
   * @return the address
   * @throws IllegalArgumentException if it is not a loopback address
   */
  public static InetAddress requireLoopback(InetAddress address) {
    if (!address.isLoopbackAddress()) {
      throw new IllegalArgumentException("test servers bind loopback addresses only: " + address);
    }
    return address;
  }

  /**
   * Checks a port a builder was given.
   *
   * @param port 0 (pick a free one) to 65535
   * @return the port
   * @throws IllegalArgumentException if it is out of range
   */
  public static int requirePort(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535: " + port);
    }
    return port;
  }
}
