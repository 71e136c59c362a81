package dev.runnel.security;

import dev.runnel.topics.Topics;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/** The ACLs README-deploy.md lists for Runnel's principal, row by row. */
enum DocumentedAcls {
  /**
   * Kafka Streams' internal topics (changelogs, repartition): named {@code <application.id>-...}.
   */
  INTERNAL_TOPICS,
  /** The consumer group is the application id. */
  GROUP,
  /** Exactly-once producers' transactional ids start with the application id. */
  TRANSACTIONAL_IDS,
  /** Prompts and cancellations are read. */
  INPUTS,
  /** Chunks, sessions and dead letters are written (the immediate lane writes chunks too). */
  OUTPUTS,
  /** Startup checks the topics' partition counts and the sessions topic's cleanup policy. */
  TOPIC_CONFIGS;

  List<AclBinding> bindings(String principal, String applicationId, Topics topics) {
    List<AclBinding> out = new ArrayList<>();
    switch (this) {
      case INTERNAL_TOPICS ->
          out.add(prefixed(ResourceType.TOPIC, applicationId, AclOperation.ALL, principal));
      case GROUP ->
          out.add(prefixed(ResourceType.GROUP, applicationId, AclOperation.READ, principal));
      case TRANSACTIONAL_IDS ->
          out.add(
              prefixed(
                  ResourceType.TRANSACTIONAL_ID, applicationId, AclOperation.WRITE, principal));
      case INPUTS -> {
        out.add(literal(topics.prompts().name(), AclOperation.READ, principal));
        out.add(literal(topics.cancellations().name(), AclOperation.READ, principal));
      }
      case OUTPUTS -> {
        out.add(literal(topics.chunks().name(), AclOperation.WRITE, principal));
        out.add(literal(topics.sessions().name(), AclOperation.WRITE, principal));
        out.add(literal(topics.deadLetters().name(), AclOperation.WRITE, principal));
      }
      case TOPIC_CONFIGS -> {
        for (String topic :
            List.of(
                topics.prompts().name(),
                topics.cancellations().name(),
                topics.chunks().name(),
                topics.sessions().name(),
                topics.deadLetters().name())) {
          out.add(literal(topic, AclOperation.DESCRIBE_CONFIGS, principal));
        }
      }
      default -> throw new IllegalStateException("unknown row " + this);
    }
    return out;
  }

  private static AclBinding prefixed(
      ResourceType type, String prefix, AclOperation operation, String principal) {
    return new AclBinding(
        new ResourcePattern(type, prefix, PatternType.PREFIXED), allow(principal, operation));
  }

  private static AclBinding literal(String topic, AclOperation operation, String principal) {
    return new AclBinding(
        new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
        allow(principal, operation));
  }

  private static AccessControlEntry allow(String principal, AclOperation operation) {
    return new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW);
  }
}
