package dev.runnel.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.schemas.Cancellation;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.internal.PendingRequest;
import dev.runnel.schemas.internal.SessionQueue;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fails the build when a topic schema changes incompatibly, or changes without its new version
 * being kept in {@code src/main/resources/schema-history} (then old readers could not be told apart
 * from new ones and readers of this release could not resolve it).
 */
class SchemaCompatibilityTest {

  static Stream<Schema> topicSchemas() {
    return Stream.of(
        Prompt.getClassSchema(),
        Cancellation.getClassSchema(),
        Chunk.getClassSchema(),
        SessionState.getClassSchema(),
        DeadLetter.getClassSchema(),
        SessionQueue.getClassSchema(),
        PendingRequest.getClassSchema());
  }

  @ParameterizedTest
  @MethodSource("topicSchemas")
  void currentSchemaIsTheLastKeptVersion(Schema current) {
    List<Schema> kept = SchemaHistory.versions(current.getFullName());
    assertThat(kept)
        .as(
            "kept versions of %s; copy the new schema to schema-history/%s/v%d.avsc",
            current.getFullName(), current.getFullName(), kept.size() + 1)
        .isNotEmpty()
        .last()
        .isEqualTo(current);
  }

  @ParameterizedTest
  @MethodSource("topicSchemas")
  void currentSchemaReadsAndIsReadByEveryKeptVersion(Schema current) {
    for (Schema old : SchemaHistory.versions(current.getFullName())) {
      assertThat(compatibility(current, old))
          .as("current %s reading data written with a kept version", current.getFullName())
          .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
      assertThat(compatibility(old, current))
          .as(
              "a kept version of %s reading data written with the current one",
              current.getFullName())
          .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }
  }

  private static SchemaCompatibilityType compatibility(Schema reader, Schema writer) {
    return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getType();
  }
}
