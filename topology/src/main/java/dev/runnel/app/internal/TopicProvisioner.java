package dev.runnel.app.internal;

import dev.runnel.config.RunnelConfig;
import dev.runnel.topics.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates Runnel's topics when missing and checks the ones that exist, so a wrong setup fails at
 * startup with a message naming the topic instead of misbehaving later.
 */
public final class TopicProvisioner {
  private static final Logger log = LoggerFactory.getLogger(TopicProvisioner.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final Duration METADATA_RETRY = Duration.ofMillis(100);

  /**
   * Compaction of the sessions topic. Each record holds a whole conversation, and a busy session
   * writes one per reply, so old versions are worth removing early: hourly segments (the active
   * segment is never compacted; the default is 7 days), a dirty ratio of 0.1 (the default 0.5 lets
   * the topic grow to twice its compacted size). A minimum lag of one minute keeps every version
   * readable by consumers that are a little behind, such as a UI catching up after a reconnect.
   */
  static final Map<String, String> SESSIONS_TOPIC_CONFIG =
      Map.of(
          TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
          TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, "60000",
          TopicConfig.SEGMENT_MS_CONFIG, "3600000",
          TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.1");

  private final Admin admin;
  private final RunnelConfig config;
  private final Topics topics;
  private final boolean toolTopics;

  /** The provisioner of the topics every instance uses. */
  public TopicProvisioner(Admin admin, RunnelConfig config, Topics topics) {
    this(admin, config, topics, false);
  }

  /**
   * @param toolTopics whether the tool-calls and tool-results topics are wanted too (an instance
   *     hosting an application that declares a remote tool)
   */
  public TopicProvisioner(Admin admin, RunnelConfig config, Topics topics, boolean toolTopics) {
    this.admin = admin;
    this.config = config;
    this.topics = topics;
    this.toolTopics = toolTopics;
  }

  /**
   * Creates the missing topics (when {@code runnel.topic.create} is on) and checks all of them.
   *
   * @return the partition count of the prompts topic, which every input topic shares
   * @throws IllegalStateException naming the topic and the problem
   */
  public int ensureTopics() {
    Map<String, Map<String, String>> wanted = new LinkedHashMap<>();
    wanted.put(topics.prompts().name(), Map.of());
    wanted.put(topics.cancellations().name(), Map.of());
    wanted.put(topics.chunks().name(), Map.of());
    wanted.put(topics.sessions().name(), SESSIONS_TOPIC_CONFIG);
    wanted.put(
        topics.deadLetters().name(),
        Map.of(
            TopicConfig.RETENTION_MS_CONFIG,
            Long.toString(config.getLong(RunnelConfig.DEAD_LETTERS_RETENTION_MS_CONFIG))));
    if (toolTopics) {
      wanted.put(topics.toolCalls().name(), Map.of());
      wanted.put(topics.toolResults().name(), Map.of());
    }

    Set<String> existing = get(admin.listTopics().names());
    List<String> missing =
        wanted.keySet().stream().filter(name -> !existing.contains(name)).toList();
    if (!missing.isEmpty()) {
      if (!config.getBoolean(RunnelConfig.TOPIC_CREATE_CONFIG)) {
        throw new IllegalStateException(
            "Missing topics "
                + missing
                + " and "
                + RunnelConfig.TOPIC_CREATE_CONFIG
                + "=false: create them, or let Runnel do it");
      }
      create(missing, wanted);
    }
    return check();
  }

  private void create(List<String> missing, Map<String, Map<String, String>> wanted) {
    int partitions = config.getInt(RunnelConfig.TOPIC_PARTITIONS_CONFIG);
    short replication = config.getShort(RunnelConfig.TOPIC_REPLICATION_FACTOR_CONFIG);
    Optional<Short> replicationFactor =
        replication == -1 ? Optional.empty() : Optional.of(replication);
    Collection<NewTopic> newTopics = new ArrayList<>();
    for (String name : missing) {
      newTopics.add(
          new NewTopic(name, Optional.of(partitions), replicationFactor).configs(wanted.get(name)));
    }
    admin
        .createTopics(newTopics)
        .values()
        .forEach(
            (name, future) -> {
              try {
                future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                log.info(
                    "Created topic {} ({} partitions, replication {})",
                    name,
                    partitions,
                    replication == -1 ? "broker default" : replication);
              } catch (ExecutionException e) {
                // Another instance starting at the same time may have won the race.
                if (!(e.getCause() instanceof TopicExistsException)) {
                  throw new IllegalStateException("Cannot create topic " + name, e.getCause());
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted creating topic " + name, e);
              } catch (TimeoutException e) {
                throw new IllegalStateException("Timed out creating topic " + name, e);
              }
            });
  }

  private int check() {
    String prompts = topics.prompts().name();
    String sessions = topics.sessions().name();
    List<String> inputs = new ArrayList<>(List.of(prompts, topics.cancellations().name()));
    if (toolTopics) {
      inputs.add(topics.toolResults().name());
    }
    Map<String, TopicDescription> descriptions =
        untilVisible(() -> admin.describeTopics(inputs).allTopicNames());
    int promptPartitions = descriptions.get(prompts).partitions().size();
    for (String input : inputs) {
      int partitions = descriptions.get(input).partitions().size();
      if (partitions != promptPartitions) {
        throw new IllegalStateException(
            "Topics "
                + prompts
                + " ("
                + promptPartitions
                + " partitions) and "
                + input
                + " ("
                + partitions
                + " partitions) must have the same partition count: a session's prompts and"
                + " its other input records have to reach the same task");
      }
    }
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, sessions);
    Config sessionsConfig =
        untilVisible(() -> admin.describeConfigs(List.of(resource)).all()).get(resource);
    String policy = sessionsConfig.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
    Set<String> policies =
        Set.of(policy.split(",")).stream().map(String::trim).collect(Collectors.toSet());
    if (!policies.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
      throw new IllegalStateException(
          "Topic "
              + sessions
              + " has cleanup.policy="
              + policy
              + "; it must be compact, or session states would expire with retention");
    }
    return promptPartitions;
  }

  /**
   * A topic just created reaches the brokers' metadata a moment after the controller confirms it;
   * until then describing it fails with {@link UnknownTopicOrPartitionException}.
   */
  private static <T> T untilVisible(Supplier<KafkaFuture<T>> request) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      try {
        return get(request.get());
      } catch (IllegalStateException e) {
        if (!(e.getCause() instanceof ExecutionException cause
                && cause.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw e;
        }
      }
      try {
        Thread.sleep(METADATA_RETRY.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted waiting for topic metadata", e);
      }
    }
  }

  private static <T> T get(KafkaFuture<T> future) {
    try {
      return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted talking to the Kafka cluster", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("Cannot inspect Runnel's topics: " + e.getCause(), e);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "The Kafka cluster did not answer within " + TIMEOUT + " (check bootstrap.servers)", e);
    }
  }
}
