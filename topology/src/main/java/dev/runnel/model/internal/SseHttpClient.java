package dev.runnel.model.internal;

import dev.runnel.model.ChatCall;
import dev.runnel.model.ModelTimeouts;
import dev.runnel.model.StreamListener;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.util.Locale;
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

  /** Fails with a message naming the value unless {@code baseUrl} is an http(s) URL. */
  public static URI requireHttpUrl(String baseUrl) {
    if (baseUrl == null || baseUrl.isBlank()) {
      throw new IllegalArgumentException("baseUrl is required");
    }
    URI uri = URI.create(baseUrl);
    if (uri.getScheme() == null || !uri.getScheme().matches("(?i)https?")) {
      throw new IllegalArgumentException("baseUrl must be an http(s) URL, was '" + baseUrl + "'");
    }
    return uri;
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

  /** Starts a call; returns at once. */
  public ChatCall start(
      HttpRequest request, Supplier<SseProtocol> protocol, StreamListener listener) {
    SseCall call = new SseCall(protocol.get(), listener, timeouts, maxReplyChars, executor);
    call.start(http, request);
    return call;
  }

  @Override
  public void close() {
    executor.shutdown();
  }
}
