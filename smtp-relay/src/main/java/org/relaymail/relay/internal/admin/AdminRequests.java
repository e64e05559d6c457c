package org.relaymail.relay.internal.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.relaymail.protocol.InvalidAddressException;
import org.relaymail.queue.QueueId;
import org.relaymail.queue.QueuePage;
import org.relaymail.queue.QueuedMessage;
import org.relaymail.relay.InvalidMessageException;
import org.relaymail.relay.OutgoingMessage;
import org.relaymail.relay.QueueAdministration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@link AdminProtocol} request lines with {@link AdminOperations}: one line in, the
 * response lines out ({@code OK lines=N} and N data lines, or one {@code ERR} line). Never throws:
 * a malformed line, a bad value, a storage failure all become an {@code ERR} line. Thread-safe
 * when the operations are.
 */
final class AdminRequests {
  private static final Logger LOG = LoggerFactory.getLogger(AdminRequests.class);
  private final QueueAdministration queue;
  private final AdminOperations ops;

  AdminRequests(QueueAdministration queue, AdminOperations ops) {
    this.queue = Objects.requireNonNull(queue, "queue");
    this.ops = Objects.requireNonNull(ops, "ops");
  }

  /** Both from one object (test doubles). */
  <T extends QueueAdministration & AdminOperations> AdminRequests(T both) {
    this(both, both);
  }

  static String error(String code, String message) {
    return AdminLine.of(AdminProtocol.ERR).put("code", code).put("message", message).build().encode();
  }

  private static List<String> ok(List<AdminLine> data) {
    List<String> out = new ArrayList<>(data.size() + 1);
    out.add(AdminLine.of(AdminProtocol.OK).put("lines", data.size()).build().encode());
    for (AdminLine l : data) {
      out.add(l.encode());
    }
    return out;
  }

  /**
   * Answers one request line.
   *
   * @param raw the line as read, without its line feed
   * @return the response lines
   */
  List<String> handle(String raw) {
    AdminLine req;
    try {
      req = AdminLine.parse(raw);
    } catch (IllegalArgumentException e) {
      return List.of(error(AdminProtocol.ERR_BAD_REQUEST, e.getMessage()));
    }
    try {
      List<String> r = dispatch(req);
      LOG.debug("admin channel: {}", req.word());
      return r;
    } catch (IllegalArgumentException e) {
      return List.of(error(AdminProtocol.ERR_BAD_REQUEST, e.getMessage()));
    } catch (IOException e) {
      LOG.warn("admin channel: {} failed", req.word(), e);
      return List.of(error(AdminProtocol.ERR_IO, String.valueOf(e.getMessage())));
    } catch (IllegalStateException e) {
      return List.of(error(AdminProtocol.ERR_UNAVAILABLE, String.valueOf(e.getMessage())));
    } catch (RuntimeException e) {
      LOG.warn("admin channel: {} failed unexpectedly", req.word(), e);
      return List.of(error(AdminProtocol.ERR_INTERNAL, e.toString()));
    }
  }

  /** @return the largest message {@link #submit} takes */
  long maxSubmitSize() {
    return ops.maxSubmitSize();
  }

  /**
   * Queues a submitted message; never throws.
   *
   * @param message the envelope with its content
   * @return {@code OK lines=1} and {@code result id=...}, or one {@code ERR} line
   */
  List<String> submit(OutgoingMessage.Builder message) {
    try {
      QueueId id = ops.submit(message.build());
      LOG.debug("admin channel: submitted {}", id);
      return ok(List.of(AdminLine.of(AdminProtocol.RESULT).put("id", id.value()).build()));
    } catch (InvalidMessageException e) {
      return List.of(AdminLine.of(AdminProtocol.ERR).put("code", AdminProtocol.ERR_INVALID_MESSAGE)
          .put("status", e.status().toString()).put("message", String.valueOf(e.getMessage())).build().encode());
    } catch (InvalidAddressException e) {
      return List.of(error(AdminProtocol.ERR_INVALID_MESSAGE, e.getMessage()));
    } catch (IllegalArgumentException e) {
      return List.of(error(AdminProtocol.ERR_BAD_REQUEST, e.getMessage()));
    } catch (IOException e) {
      LOG.warn("admin channel: submit failed", e);
      return List.of(error(AdminProtocol.ERR_IO, String.valueOf(e.getMessage())));
    } catch (IllegalStateException e) {
      return List.of(error(AdminProtocol.ERR_UNAVAILABLE, String.valueOf(e.getMessage())));
    } catch (RuntimeException e) {
      LOG.warn("admin channel: submit failed unexpectedly", e);
      return List.of(error(AdminProtocol.ERR_INTERNAL, e.toString()));
    }
  }

  private List<String> dispatch(AdminLine req) throws IOException {
    switch (req.word()) {
      case AdminProtocol.LIST -> {
        QueuePage page = queue.list(AdminCodec.query(req));
        List<AdminLine> data = new ArrayList<>();
        for (QueuedMessage m : page.messages()) {
          data.addAll(AdminCodec.message(m));
        }
        page.next().ifPresent(n -> data.add(AdminLine.of(AdminProtocol.NEXT).put("id", n.value()).build()));
        return ok(data);
      }
      case AdminProtocol.INSPECT -> {
        return ok(queue.inspect(id(req)).map(AdminCodec::message).orElse(List.of()));
      }
      case AdminProtocol.COUNTS -> {
        return ok(List.of(AdminCodec.counts(queue.counts())));
      }
      case AdminProtocol.HOLD -> {
        return found(queue.hold(id(req)));
      }
      case AdminProtocol.RELEASE -> {
        return found(queue.release(id(req)));
      }
      case AdminProtocol.RETRY -> {
        return found(queue.retryNow(id(req)));
      }
      case AdminProtocol.RETRY_ALL -> {
        return ok(List.of(AdminLine.of(AdminProtocol.RESULT).put("count", queue.retryAllNow()).build()));
      }
      case AdminProtocol.DELETE -> {
        return found(queue.delete(id(req)));
      }
      case AdminProtocol.BOUNCE -> {
        return found(queue.bounce(id(req)));
      }
      case AdminProtocol.HEADERS -> {
        return ok(ops.headerSection(id(req), AdminProtocol.MAX_HEADER_BYTES)
            .map(b -> List.of(AdminLine.of(AdminProtocol.HEADERS)
                .put("text", new String(b, StandardCharsets.UTF_8)).build()))
            .orElse(List.of()));
      }
      default -> {
        return List.of(error(AdminProtocol.ERR_UNKNOWN, "no admin operation '" + req.word() + "' in version "
            + AdminProtocol.VERSION));
      }
    }
  }

  private static QueueId id(AdminLine req) {
    return new QueueId(req.require("id"));
  }

  private static List<String> found(boolean found) {
    return ok(List.of(AdminLine.of(AdminProtocol.RESULT).put("found", found).build()));
  }
}
