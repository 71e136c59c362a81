package dev.runnel.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.model.internal.Redaction;
import org.junit.jupiter.api.Test;

class RunnelApplicationTest {

  @Test
  void theStartupLogNeverShowsCredentialsInTheModelUrl() {
    assertThat(Redaction.url("https://user:s3cret@gateway.example/v1?key=k3y&x=1"))
        .isEqualTo("https://***@gateway.example/v1?***");
    assertThat(Redaction.url("http://127.0.0.1:8080/v1")).isEqualTo("http://127.0.0.1:8080/v1");
  }
}
