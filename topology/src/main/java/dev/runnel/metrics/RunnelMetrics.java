package dev.runnel.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runnel's own meters, in one place so the processor, the clients and the dashboards agree on
 * names. Thread-safe: model-client threads and stream threads record into it concurrently.
 */
public final class RunnelMetrics {
  public static final String TIME_TO_FIRST_TOKEN = "runnel.model.time.to.first.token";
  public static final String TOKENS_PER_SECOND = "runnel.model.tokens.per.second";
  public static final String CALLS_IN_FLIGHT = "runnel.calls.in.flight";
  public static final String QUEUE_DEPTH = "runnel.queue.depth";
  public static final String RETRIES = "runnel.retries";
  public static final String FAILURES = "runnel.failures";
  public static final String COMPLETIONS = "runnel.completions";

  private final MeterRegistry registry;
  private final Timer timeToFirstToken;
  private final DistributionSummary tokensPerSecond;
  private final AtomicLong callsInFlight = new AtomicLong();
  private final AtomicLong queueDepth = new AtomicLong();
  private final Counter retries;
  private final Counter completions;

  public RunnelMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.timeToFirstToken =
        Timer.builder(TIME_TO_FIRST_TOKEN)
            .description("From the start of a model call to its first delta")
            .publishPercentileHistogram()
            .register(registry);
    this.tokensPerSecond =
        DistributionSummary.builder(TOKENS_PER_SECOND)
            .description("Completion tokens per second of a finished call, after the first token")
            .baseUnit("tokens/s")
            .register(registry);
    Gauge.builder(CALLS_IN_FLIGHT, callsInFlight, AtomicLong::get)
        .description("Model calls open in this instance")
        .register(registry);
    Gauge.builder(QUEUE_DEPTH, queueDepth, AtomicLong::get)
        .description("Accepted requests waiting for their session's turn in this instance")
        .register(registry);
    this.retries =
        Counter.builder(RETRIES)
            .description("Model calls retried after a retriable failure")
            .register(registry);
    this.completions =
        Counter.builder(COMPLETIONS).description("Requests that completed").register(registry);
  }

  /** Meters that go nowhere; for tests and tools that do not export metrics. */
  public static RunnelMetrics discarding() {
    return new RunnelMetrics(new SimpleMeterRegistry());
  }

  /** The registry the meters live in, for binding more meters beside them. */
  public MeterRegistry registry() {
    return registry;
  }

  public void callStarted() {
    callsInFlight.incrementAndGet();
  }

  public void callEnded() {
    callsInFlight.decrementAndGet();
  }

  public void firstToken(Duration sinceCallStart) {
    timeToFirstToken.record(sinceCallStart);
  }

  /** A finished call produced {@code completionTokens} over {@code sinceFirstToken}. */
  public void completed(long completionTokens, Duration sinceFirstToken) {
    completions.increment();
    if (completionTokens > 0 && !sinceFirstToken.isZero() && !sinceFirstToken.isNegative()) {
      tokensPerSecond.record(completionTokens * 1_000_000_000.0 / sinceFirstToken.toNanos());
    }
  }

  /** The queue gained (positive) or lost (negative) {@code delta} waiting requests. */
  public void queueDepthChanged(long delta) {
    queueDepth.addAndGet(delta);
  }

  public void retried() {
    retries.increment();
  }

  /**
   * A request failed for good.
   *
   * @param kind why, e.g. the model error's kind; becomes the {@code kind} tag
   */
  public void failed(String kind) {
    Counter.builder(FAILURES)
        .description("Requests that failed for good")
        .tag("kind", kind)
        .register(registry)
        .increment();
  }
}
