package org.relaymail.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/** A raw socket SMTP client for the tests: writes bytes, reads replies line by line. */
final class RawClient implements AutoCloseable {
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  RawClient(java.net.InetAddress address, int port) throws IOException {
    socket = new Socket();
    socket.connect(new InetSocketAddress(address, port), 10_000);
    socket.setSoTimeout(30_000);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  static RawClient connect(ScriptedSmtpServer server) throws IOException {
    return new RawClient(server.address(), server.port());
  }

  void tls(SSLContext ctx) throws IOException {
    SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket(socket,
        "localhost", socket.getPort(), true);
    ssl.setUseClientMode(true);
    ssl.startHandshake();
    socket = ssl;
    in = ssl.getInputStream();
    out = ssl.getOutputStream();
  }

  void send(String text) throws IOException {
    send(text.getBytes(StandardCharsets.UTF_8));
  }

  void send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Reads one line including CRLF; null at end of stream. */
  String readLine() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      b.write(c);
      if (c == '\n') {
        break;
      }
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
  }

  /** Reads one whole reply; returns its lines without CRLF, or an empty list at end of stream. */
  List<String> reply() throws IOException {
    List<String> lines = new ArrayList<>();
    while (true) {
      String l = readLine();
      if (l == null) {
        return lines;
      }
      l = l.replaceAll("\r?\n$", "");
      lines.add(l);
      if (l.length() < 4 || l.charAt(3) != '-') {
        return lines;
      }
    }
  }

  /** The code of the next reply, -1 at end of stream. */
  int code() throws IOException {
    List<String> r = reply();
    return r.isEmpty() ? -1 : Integer.parseInt(r.get(r.size() - 1).substring(0, 3));
  }

  String lastLine() throws IOException {
    List<String> r = reply();
    return r.isEmpty() ? null : r.get(r.size() - 1);
  }

  /** Sends a line with CRLF and returns the reply code. */
  int cmd(String line) throws IOException {
    send(line + "\r\n");
    return code();
  }

  boolean atEof() throws IOException {
    return in.read() < 0;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
