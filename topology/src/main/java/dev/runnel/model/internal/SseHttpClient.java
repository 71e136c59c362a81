package dev.runnel.model.internal;

import dev.runnel.model.ChatCall;
import dev.runnel.model.ModelTimeouts;
import dev.runnel.model.StreamListener;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The HTTP side every streaming model client shares: one JDK {@link HttpClient} whose callbacks run
 * on a small fixed pool, and calls that read the body as it arrives through a {@link
 * java.net.http.HttpResponse.BodySubscriber}. No thread waits on an open stream: the client's
 * selector thread reads every socket, the pool runs the parsing, the listeners and the timeouts,
 * and one shared timer thread only hands the timeouts to the pool when they are due.
 */
public final class SseHttpClient implements AutoCloseable {

  /**
   * Fails with a message naming the value (its secrets masked) unless {@code baseUrl} is an http(s)
   * URL with a host.
   */
  public static URI requireHttpUrl(String baseUrl) {
    if (baseUrl == null || baseUrl.isBlank()) {
      throw new IllegalArgumentException("baseUrl is required");
    }
    URI uri;
    try {
      uri = new URI(baseUrl);
    } catch (URISyntaxException e) {
      // The exception's own message quotes the whole input, credentials included.
      throw new IllegalArgumentException(
          "baseUrl is not a valid URL: " + e.getReason() + " at index " + e.getIndex());
    }
    if (uri.getScheme() == null || !uri.getScheme().matches("(?i)https?")) {
      throw new IllegalArgumentException(
          "baseUrl must be an http(s) URL, was '" + Redaction.url(baseUrl) + "'");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException(
          "baseUrl has no host name: '" + Redaction.url(baseUrl) + "'");
    }
    return uri;
  }

  /**
   * Where a client sends its calls, from its base URL.
   *
   * @param uri the base URL without its userinfo, with {@code path} appended to its path (before
   *     the query string, which is kept)
   * @param basicAuthorization an {@code Authorization} header value when the base URL carried
   *     {@code user:password@} (sent as HTTP Basic authentication, as curl does)
   * @param secrets what must never appear in a message: the userinfo, its password, the query
   *     string's values
   */
  public record Endpoint(URI uri, Optional<String> basicAuthorization, List<String> secrets) {}

  public static Endpoint endpoint(String baseUrl, String path) {
    URI base = requireHttpUrl(baseUrl);
    String basePath = base.getRawPath() == null ? "" : base.getRawPath().replaceAll("/+$", "");
    String uri =
        base.getScheme()
            + "://"
            + base.getHost()
            + (base.getPort() == -1 ? "" : ":" + base.getPort())
            + basePath
            + path
            + (base.getRawQuery() == null ? "" : "?" + base.getRawQuery());
    List<String> secrets = new ArrayList<>();
    Optional<String> basic = Optional.empty();
    if (base.getRawUserInfo() != null) {
      String userInfo = base.getUserInfo();
      secrets.add(base.getRawUserInfo());
      secrets.add(userInfo);
      int colon = userInfo.indexOf(':');
      if (colon >= 0) {
        secrets.add(userInfo.substring(colon + 1));
        secrets.add(base.getRawUserInfo().substring(base.getRawUserInfo().indexOf(':') + 1));
      }
      basic =
          Optional.of(
              "Basic "
                  + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8)));
    }
    if (base.getRawQuery() != null) {
      for (String pair : base.getRawQuery().split("&")) {
        String value = pair.substring(pair.indexOf('=') + 1);
        secrets.add(value);
        secrets.add(URLDecoder.decode(value, StandardCharsets.UTF_8));
      }
    }
    return new Endpoint(URI.create(uri), basic, List.copyOf(secrets));
  }

  /**
   * The longest reply a call accumulates unless configured otherwise: 131,072 characters, about
   * 32,000 tokens of English, more than the default output limit of the common models.
   */
  public static final int DEFAULT_MAX_REPLY_CHARS = 131_072;

  private static final AtomicInteger POOL_IDS = new AtomicInteger();

  private final HttpClient http;
  private final ExecutorService executor;
  private final ModelTimeouts timeouts;
  private final int maxReplyChars;

  /**
   * @param threads size of the pool that parses bodies and calls listeners
   * @param maxReplyChars longest reply a call accumulates; a longer one ends with {@link
   *     dev.runnel.model.FinishReason#LENGTH} after its first {@code maxReplyChars} characters
   */
  public SseHttpClient(ModelTimeouts timeouts, int threads, int maxReplyChars) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, was " + threads);
    }
    if (maxReplyChars < 1) {
      throw new IllegalArgumentException("maxReplyChars must be >= 1, was " + maxReplyChars);
    }
    this.timeouts = timeouts;
    this.maxReplyChars = maxReplyChars;
    int pool = POOL_IDS.incrementAndGet();
    AtomicInteger ids = new AtomicInteger();
    this.executor =
        new ThreadPoolExecutor(
            threads,
            threads,
            0,
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "runnel-model-http-" + pool + "-" + ids.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.http =
        HttpClient.newBuilder()
            .executor(executor)
            .connectTimeout(timeouts.connect())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  public ModelTimeouts timeouts() {
    return timeouts;
  }

  /**
   * A POST request with a JSON body that asks for an event stream. Plain-HTTP endpoints (local
   * servers) get HTTP/1.1, because the JDK would otherwise try an h2c upgrade that many of them
   * mishandle; HTTPS endpoints negotiate HTTP/2 through ALPN.
   */
  public HttpRequest.Builder postJson(URI uri, String json) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(uri)
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .header("Content-Type", "application/json")
            .header("Accept", "text/event-stream");
    if ("http".equals(uri.getScheme().toLowerCase(Locale.ROOT))) {
      builder.version(HttpClient.Version.HTTP_1_1);
    }
    return builder;
  }

  /**
   * Starts a call; returns at once.
   *
   * @param redaction applied to every error the listener gets
   */
  public ChatCall start(
      HttpRequest request,
      Supplier<SseProtocol> protocol,
      StreamListener listener,
      Redaction redaction) {
    SseCall call =
        new SseCall(protocol.get(), listener, timeouts, maxReplyChars, executor, redaction);
    call.start(http, request);
    return call;
  }

  @Override
  public void close() {
    executor.shutdown();
  }
}
