package dev.runnel.app;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RunnelApplicationTest {

  @Test
  void theStartupLogNeverShowsCredentialsInTheModelUrl() {
    assertThat(RunnelApplication.withoutUserInfo("https://user:s3cret@gateway.example/v1"))
        .isEqualTo("https://gateway.example/v1");
    assertThat(RunnelApplication.withoutUserInfo("http://127.0.0.1:8080/v1"))
        .isEqualTo("http://127.0.0.1:8080/v1");
  }
}
