package dev.runnel.model;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * An HTTP server on a loopback port whose every answer a test scripts: a status and a body that may
 * never end. It records each request's URI and Authorization header, and counts the body bytes it
 * managed to write.
 */
public final class LoopbackHttpServer implements AutoCloseable {
  /** One answer: status, content type, and the body's i-th piece (null ends the body). */
  public record Answer(int status, String contentType, IntFunction<String> pieces) {}

  public record Received(String uri, String authorization) {}

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicLong bytesWritten = new AtomicLong();
  private volatile Answer answer = new Answer(200, "text/plain", i -> null);

  public LoopbackHttpServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** {@code http://127.0.0.1:port}, without a trailing slash. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public void answer(Answer next) {
    answer = next;
  }

  public List<Received> received() {
    return List.copyOf(received);
  }

  public long bytesWritten() {
    return bytesWritten.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    exchange.getRequestBody().readAllBytes();
    received.add(
        new Received(
            exchange.getRequestURI().toString(),
            exchange.getRequestHeaders().getFirst("Authorization")));
    Answer a = answer;
    exchange.getResponseHeaders().set("Content-Type", a.contentType());
    exchange.sendResponseHeaders(a.status(), 0);
    try (OutputStream out = exchange.getResponseBody()) {
      String piece;
      for (int i = 0; (piece = a.pieces().apply(i)) != null; i++) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        out.write(bytes);
        out.flush();
        bytesWritten.addAndGet(bytes.length);
      }
    } catch (IOException clientWentAway) {
      // The client stopped reading: that is what the limit tests want to see.
    } finally {
      exchange.close();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
