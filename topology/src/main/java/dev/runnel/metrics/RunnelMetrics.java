package dev.runnel.metrics;

import dev.runnel.hook.PartialInfo;
import dev.runnel.hook.RequestEvent;
import dev.runnel.hook.RunHook;
import dev.runnel.hook.RunInfo;
import dev.runnel.hook.RunOutcome;
import dev.runnel.model.TokenUsage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleSupplier;

/**
 * Runnel's own meters, in one place so the processor, the application and the dashboards agree on
 * names. It is one of the instance's {@link RunHook}s; thread-safe, as model-client threads and
 * stream threads report into it concurrently.
 */
public final class RunnelMetrics implements RunHook {
  public static final String TIME_TO_FIRST_TOKEN = "runnel.model.time.to.first.token";
  public static final String TOKENS_PER_SECOND = "runnel.model.tokens.per.second";
  public static final String CALLS_IN_FLIGHT = "runnel.calls.in.flight";
  public static final String QUEUE_DEPTH = "runnel.queue.depth";
  public static final String RETRIES = "runnel.retries";
  public static final String FAILURES = "runnel.failures";
  public static final String COMPLETIONS = "runnel.completions";
  public static final String ACCEPTED = "runnel.prompts.accepted";
  public static final String DUPLICATES = "runnel.prompts.duplicates";
  public static final String DEAD_LETTERS = "runnel.dead.letters";
  public static final String CANCELLATIONS = "runnel.cancellations";

  private final MeterRegistry registry;
  private final Timer timeToFirstToken;
  private final DistributionSummary tokensPerSecond;
  private final AtomicLong callsInFlight = new AtomicLong();
  private final AtomicReference<DoubleSupplier> queueDepth =
      new AtomicReference<>(() -> Double.NaN);
  private final Counter completions;
  private final Counter accepted;
  private final Counter duplicates;
  private final Counter cancellations;

  public RunnelMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.timeToFirstToken =
        Timer.builder(TIME_TO_FIRST_TOKEN)
            .description("From the start of a model call to its first delta")
            .publishPercentileHistogram()
            .register(registry);
    this.tokensPerSecond =
        DistributionSummary.builder(TOKENS_PER_SECOND)
            .description("Completion tokens per second of each completed request")
            .baseUnit("tokens/s")
            .register(registry);
    Gauge.builder(CALLS_IN_FLIGHT, callsInFlight, AtomicLong::get)
        .description("Model calls open in this instance")
        .register(registry);
    Gauge.builder(QUEUE_DEPTH, queueDepth, q -> q.get().getAsDouble())
        .description("Accepted requests of this instance's sessions waiting for their turn")
        .register(registry);
    this.completions =
        Counter.builder(COMPLETIONS).description("Requests that completed").register(registry);
    this.accepted =
        Counter.builder(ACCEPTED).description("Prompts accepted into a queue").register(registry);
    this.duplicates =
        Counter.builder(DUPLICATES)
            .description("Prompts repeating a known request id, answered and not run")
            .register(registry);
    this.cancellations =
        Counter.builder(CANCELLATIONS).description("Requests cancelled").register(registry);
  }

  /** Meters that go nowhere; for tests and tools that do not export metrics. */
  public static RunnelMetrics discarding() {
    return new RunnelMetrics(new SimpleMeterRegistry());
  }

  /** The registry the meters live in, for binding more meters beside them. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Where the queue-depth gauge reads from; the application sets it once Streams exists. */
  public void queueDepthFrom(DoubleSupplier depth) {
    queueDepth.set(Objects.requireNonNull(depth, "depth"));
  }

  /** Model calls open in this instance now. */
  public long callsInFlight() {
    return callsInFlight.get();
  }

  @Override
  public void onRequest(RequestEvent event) {
    switch (event.kind()) {
      case ACCEPTED -> accepted.increment();
      case DUPLICATE -> duplicates.increment();
      case CANCELLED -> cancellations.increment();
      case DEAD_LETTERED ->
          Counter.builder(DEAD_LETTERS)
              .description("Records sent to the dead-letter topic")
              .tag("reason", event.reason())
              .register(registry)
              .increment();
    }
  }

  @Override
  public void beforeRun(RunInfo run) {
    callsInFlight.incrementAndGet();
  }

  @Override
  public void onPartial(RunInfo run, PartialInfo partial) {
    if (partial.index() == 0) {
      timeToFirstToken.record(partial.sinceStart());
    }
  }

  @Override
  public void afterRun(RunInfo run, RunOutcome outcome) {
    callsInFlight.decrementAndGet();
    if (outcome instanceof RunOutcome.Completed completed) {
      completions.increment();
      long tokens = completed.usage().map(TokenUsage::completionTokens).orElse(0L);
      long nanos = completed.duration().toNanos();
      if (tokens > 0 && nanos > 0) {
        tokensPerSecond.record(tokens * 1_000_000_000.0 / nanos);
      }
    } else if (outcome instanceof RunOutcome.Failed failed) {
      Counter.builder(failed.willRetry() ? RETRIES : FAILURES)
          .description(
              failed.willRetry()
                  ? "Model calls retried after a retriable failure"
                  : "Requests that failed for good")
          .tag("kind", failed.kind())
          .register(registry)
          .increment();
    } else if (outcome instanceof RunOutcome.Cancelled) {
      cancellations.increment();
    }
  }
}
