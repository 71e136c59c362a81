package dev.runnel.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * Serves {@code GET /metrics} (Prometheus text format) and {@code GET /health} (200 when healthy,
 * 503 otherwise). The JDK's HTTP server is enough: scrapes are rare and off the streaming path.
 */
public final class MetricsServer implements AutoCloseable {
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Starts serving on {@code address} (port 0 picks a free one).
   *
   * @param healthy whether {@code /health} answers 200
   */
  public static MetricsServer start(
      InetSocketAddress address, PrometheusMeterRegistry registry, BooleanSupplier healthy)
      throws IOException {
    HttpServer server = HttpServer.create(address, 0);
    server.createContext(
        "/metrics", exchange -> respond(exchange, 200, PROMETHEUS_TEXT, registry.scrape()));
    server.createContext(
        "/health",
        exchange -> {
          boolean up = healthy.getAsBoolean();
          respond(exchange, up ? 200 : 503, "text/plain; charset=utf-8", up ? "UP\n" : "DOWN\n");
        });
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "runnel-metrics-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.start();
    return new MetricsServer(server, executor);
  }

  /** The address actually bound, with the chosen port. */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
