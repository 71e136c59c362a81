package dev.runnel.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.schemas.Cancellation;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.ToolInvocation;
import dev.runnel.schemas.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The README's single-object fingerprints are the ones Runnel writes. */
class FingerprintDocsTest {
  private static final HexFormat SPACED = HexFormat.ofDelimiter(" ");

  static Stream<Class<?>> documented() {
    return Stream.of(
        Prompt.class,
        Cancellation.class,
        Chunk.class,
        SessionState.class,
        ToolInvocation.class,
        ToolResult.class);
  }

  @ParameterizedTest
  @MethodSource("documented")
  void readmeGivesTheFingerprintAndHeaderOfTheCurrentSchema(Class<?> type) throws Exception {
    // Surefire runs in the module folder; the README lives at the repository root.
    String readme = Files.readString(Path.of("..", "README.md"));
    Schema schema = SpecificData.get().getSchema(type);

    assertThat(readme)
        .contains(
            String.format(
                "| `%s` | `0x%016x` | `%s` |",
                schema.getFullName(),
                SchemaNormalization.parsingFingerprint64(schema),
                SPACED.formatHex(header(schema))));
  }

  @Test
  void theHeaderIsTheMarkerAndTheLittleEndianFingerprint() {
    byte[] value = AvroSerde.of(Prompt.class).encode(Prompt.newBuilder().setContent("x").build());

    assertThat(value).startsWith(header(Prompt.getClassSchema()));
  }

  private static byte[] header(Schema schema) {
    long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
    byte[] header = new byte[10];
    header[0] = (byte) 0xc3;
    header[1] = 0x01;
    for (int i = 0; i < 8; i++) {
      header[2 + i] = (byte) (fingerprint >>> (8 * i));
    }
    return header;
  }
}
