package dev.runnel.processor.internal;

import dev.runnel.hook.RunHook;
import dev.runnel.processor.DeltaPublisher;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.internal.PendingRequest;
import dev.runnel.schemas.internal.SessionQueue;
import dev.runnel.serde.AvroSerde;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Supplies the processor that hosts a streaming action on Kafka Streams.
 *
 * <p><b>Requirements.</b> Its input is the prompts and cancellations topics as raw bytes, keyed by
 * session id (raw, so that an undeserializable record reaches the dead-letter topic as it came).
 * Both must be co-partitioned, and each record on the partition murmur2 of its key gives (the
 * topology passes others through a repartition topic first, marking their origin in headers). The
 * action's {@code start} must return at once. Run with {@code exactly_once_v2} for the exactly-once
 * final; a small {@code poll.ms} (5 to 10), because model events are taken in by a wall-clock
 * punctuator that fires at most once per loop. The punctuator runs only while the task has calls
 * running or requests waiting: Kafka Streams commits a task after any punctuation, so an idle task
 * that punctuated would commit every {@code commit.interval.ms}.
 *
 * <p><b>What it guarantees.</b> A prompt is accepted into a changelogged per-session queue and the
 * stream thread never waits on a model. One call per session at a time, in order; up to the
 * instance's slot limit across sessions. The final (state update, end record, queue removal) is
 * applied on the stream thread in one transaction, once per request id. After a restore or a
 * rebalance, or when Kafka Streams initialises this processor again, unfinished requests restart
 * with the next attempt number, not before a retry's due time.
 *
 * <p>Every model call gets a random callId that its deltas and end record carry, so records of two
 * calls never look alike, whatever a rollback did to attempt numbers. A prompt repeating the id of
 * a finished request is answered with an end record marked duplicate that repeats the outcome.
 *
 * <p><b>Limits.</b> A key is a session id of at most 1024 bytes of valid UTF-8; a request id at
 * most 256 characters; a prompt record and a session state at most {@code
 * runnel.session.max.bytes}. A dead letter is cut to fit the producer's {@code max.request.size}.
 *
 * <p><b>Limitations.</b> Duplicate detection remembers the last {@code runnel.dedup.window}
 * outcomes of each session. In the immediate lane, deltas are at least once: a consumer rebuilds
 * from the call its end record names and de-duplicates by (request id, attempt, callId, sequence);
 * after a cancellation, deltas already in flight may land after the end record. Restoring scans the
 * task's queue store once per init.
 */
public final class StreamingActionProcessorSupplier
    implements ProcessorSupplier<byte[], byte[], String, SpecificRecord> {
  public static final String STATE_STORE = "runnel-session-state";
  public static final String QUEUE_STORE = "runnel-session-queue";
  public static final String PENDING_STORE = "runnel-pending-requests";

  /**
   * Name of the repartition step for input records that are not on their key's partition; its topic
   * is {@code <application.id>-runnel-session-placement-repartition}.
   */
  public static final String REROUTE = "runnel-session-placement";

  private final ProcessorSettings settings;
  private final Actions actions;
  private final Optional<DeltaPublisher> publisher;
  private final CallSlots slots;
  private final RunHook hooks;

  public StreamingActionProcessorSupplier(
      ProcessorSettings settings,
      Actions actions,
      Optional<DeltaPublisher> publisher,
      CallSlots slots,
      RunHook hooks) {
    this.settings = settings;
    this.actions = actions;
    this.publisher = publisher;
    this.slots = slots;
    this.hooks = hooks;
  }

  static String rerouteTopic(String applicationId) {
    return applicationId + "-" + REROUTE + "-repartition";
  }

  /** A processor forwarding the input records already on their key's partition, or the others. */
  public static ProcessorSupplier<byte[], byte[], byte[], byte[]> placement(
      int partitions, boolean inPlace) {
    return () -> new Placement(partitions, inPlace);
  }

  @Override
  public Processor<byte[], byte[], String, SpecificRecord> get() {
    return new StreamingActionProcessor(settings, actions, publisher, slots, hooks);
  }

  @Override
  public Set<StoreBuilder<?>> stores() {
    StoreBuilder<?> states =
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(STATE_STORE),
            Serdes.String(),
            AvroSerde.of(SessionState.class));
    StoreBuilder<?> queues =
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(QUEUE_STORE),
            Serdes.String(),
            AvroSerde.of(SessionQueue.class));
    StoreBuilder<?> pending =
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(PENDING_STORE),
            Serdes.String(),
            AvroSerde.of(PendingRequest.class));
    return Set.of(states, queues, pending);
  }
}
