package dev.runnel.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.hook.PartialInfo;
import dev.runnel.hook.RequestEvent;
import dev.runnel.hook.RunInfo;
import dev.runnel.hook.RunOutcome;
import dev.runnel.model.TokenUsage;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void servesRunnelMetersInPrometheusText() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    RunnelMetrics metrics = new RunnelMetrics(registry);
    // Four attempts start; three end (completed, retried, failed for good); one stays open.
    RunInfo[] runs = new RunInfo[4];
    for (int i = 0; i < runs.length; i++) {
      runs[i] = new RunInfo("s" + i, "r" + i, 1, "chat");
      metrics.beforeRun(runs[i]);
    }
    metrics.queueDepthFrom(() -> 3);
    metrics.onPartial(runs[0], new PartialInfo(0, 5, Duration.ofMillis(40), Duration.ofMillis(40)));
    metrics.onPartial(runs[0], new PartialInfo(1, 5, Duration.ofMillis(60), Duration.ofMillis(40)));
    metrics.afterRun(
        runs[0],
        new RunOutcome.Completed(Duration.ofSeconds(2), Optional.of(new TokenUsage(10, 100, 110))));
    metrics.afterRun(runs[1], new RunOutcome.Failed("RATE_LIMITED", "slow down", true));
    metrics.afterRun(runs[2], new RunOutcome.Failed("RATE_LIMITED", "slow down", false));
    metrics.onRequest(new RequestEvent("s", null, RequestEvent.Kind.DEAD_LETTERED, "EMPTY_PROMPT"));
    metrics.onRequest(new RequestEvent("s", "r5", RequestEvent.Kind.ACCEPTED, null));

    try (MetricsServer server =
        MetricsServer.start(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), registry, () -> true)) {
      HttpResponse<String> response = get(server, "/metrics");

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type"))
          .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
      assertThat(response.body())
          .contains("runnel_calls_in_flight 1.0")
          .contains("runnel_queue_depth 3.0")
          .contains("runnel_model_time_to_first_token_seconds_count 1")
          .contains("runnel_model_tokens_per_second_tokens_s_sum 50.0")
          .contains("runnel_retries_total{kind=\"RATE_LIMITED\"} 1.0")
          .contains("runnel_completions_total 1.0")
          .contains("runnel_dead_letters_total{reason=\"EMPTY_PROMPT\"} 1.0")
          .contains("runnel_failures_total{kind=\"RATE_LIMITED\"} 1.0")
          .contains("runnel_prompts_accepted_total 1.0");
    }
  }

  @Test
  void healthFollowsTheSupplier() throws Exception {
    AtomicBoolean healthy = new AtomicBoolean(true);
    try (MetricsServer server =
        MetricsServer.start(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
            healthy::get)) {
      assertThat(get(server, "/health").statusCode()).isEqualTo(200);

      healthy.set(false);

      assertThat(get(server, "/health").statusCode()).isEqualTo(503);
    }
  }

  private HttpResponse<String> get(MetricsServer server, String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + server.address().getPort() + path);
    return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
  }
}
