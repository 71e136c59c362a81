package dev.runnel.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal Chrome DevTools Protocol client over the JDK's WebSocket: opens a page in a running
 * headless Chromium and evaluates JavaScript in it.
 */
final class Cdp implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

  private Cdp(WebSocket socket) {
    this.socket = socket;
  }

  /** Opens {@code url} in a new tab of the browser whose DevTools listen on {@code port}. */
  static Cdp openPage(int port, String url) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> created =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + port
                            + "/json/new?"
                            + URLEncoder.encode(url, StandardCharsets.UTF_8)))
                .PUT(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (created.statusCode() != 200) {
      throw new IOException("DevTools refused a new page: " + created.body());
    }
    String ws = JSON.readTree(created.body()).get("webSocketDebuggerUrl").asText();
    Listener listener = new Listener();
    WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(ws), listener).join();
    Cdp cdp = new Cdp(socket);
    listener.cdp = cdp;
    return cdp;
  }

  /** Evaluates {@code expression} (awaiting a promise) and returns its value as JSON. */
  JsonNode eval(String expression) {
    ObjectNode params = JSON.createObjectNode();
    params.put("expression", expression).put("returnByValue", true).put("awaitPromise", true);
    JsonNode response = call("Runtime.evaluate", params);
    if (response.at("/result/exceptionDetails").isObject()) {
      throw new IllegalStateException("evaluation failed: " + response);
    }
    return response.at("/result/result/value");
  }

  /** Saves a PNG of the page, for a person to look at. */
  void screenshot(Path file) throws IOException {
    JsonNode response =
        call("Page.captureScreenshot", JSON.createObjectNode().put("format", "png"));
    Files.write(file, Base64.getDecoder().decode(response.at("/result/data").asText()));
  }

  private JsonNode call(String method, ObjectNode params) {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    pending.put(id, answer);
    ObjectNode message = JSON.createObjectNode();
    message.put("id", id);
    message.put("method", method);
    message.set("params", params);
    try {
      socket.sendText(JSON.writeValueAsString(message), true).join();
      JsonNode response = answer.get(30, TimeUnit.SECONDS);
      if (response.has("error")) {
        throw new IllegalStateException(method + " failed: " + response);
      }
      return response;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + params, e);
    }
  }

  @Override
  public void close() {
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").orTimeout(5, TimeUnit.SECONDS);
  }

  private static final class Listener implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();
    private volatile Cdp cdp;

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        try {
          JsonNode message = JSON.readTree(text.toString());
          if (message.has("id") && cdp != null) {
            CompletableFuture<JsonNode> answer = cdp.pending.remove(message.get("id").asInt());
            if (answer != null) {
              answer.complete(message);
            }
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        } finally {
          text.setLength(0);
        }
      }
      webSocket.request(1);
      return null;
    }
  }

  /** How long a caller should allow Chromium to start. */
  static final Duration STARTUP = Duration.ofSeconds(30);
}
