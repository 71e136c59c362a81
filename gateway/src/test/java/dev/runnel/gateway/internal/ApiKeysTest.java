package dev.runnel.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeysTest {
  @TempDir Path dir;

  @Test
  void aKeyNamesItsTenantAndOnlyItsHashIsHeld() {
    try (ApiKeys keys = new ApiKeys(Optional.empty(), List.of("acme:" + ApiKeys.hash("s3cret")))) {
      assertThat(keys.tenantOf("s3cret")).contains("acme");
      assertThat(keys.tenantOf("s3cret ")).isEmpty();
      assertThat(keys.tenantOf("")).isEmpty();
    }
    assertThat(ApiKeys.hash("abc"))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void aKeyGivenInPlaceOfItsHashIsRefusedWithoutShowingIt() throws Exception {
    Path file = dir.resolve("keys.txt");
    Files.writeString(file, "# comment\nacme sk-live-do-not-print\n");
    assertThatThrownBy(() -> new ApiKeys(Optional.of(file), List.of()))
        .hasMessageContaining("line 2")
        .hasMessageContaining("SHA-256")
        .hasMessageNotContaining("sk-live-do-not-print");
    assertThatThrownBy(() -> new ApiKeys(Optional.empty(), List.of("acme:sk-live-do-not-print")))
        .hasMessageContaining("item 1")
        .hasMessageNotContaining("sk-live-do-not-print");
  }

  @Test
  void theFileIsReReadWhenItChangesAndABrokenOneKeepsTheKeysBefore() throws Exception {
    Path file = dir.resolve("keys.txt");
    Files.writeString(file, "acme " + ApiKeys.hash("old") + "\n");
    try (ApiKeys keys = new ApiKeys(Optional.of(file), List.of())) {
      assertThat(keys.tenantOf("old")).contains("acme");
      Files.writeString(file, "acme " + ApiKeys.hash("new") + "\n");
      await().atMost(Duration.ofSeconds(10)).until(() -> keys.tenantOf("new").isPresent());
      assertThat(keys.tenantOf("old")).isEmpty();
      Files.writeString(file, "acme not-a-hash\n");
      await()
          .during(Duration.ofMillis(1500))
          .atMost(Duration.ofSeconds(5))
          .until(() -> keys.tenantOf("new").isPresent());
    }
  }
}
