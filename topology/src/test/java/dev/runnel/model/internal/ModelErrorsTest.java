package dev.runnel.model.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.model.ModelException;
import dev.runnel.model.ModelException.Kind;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelErrorsTest {

  @ParameterizedTest(name = "HTTP {0} -> {1}, retriable={2}")
  @CsvSource({
    "400, BAD_REQUEST, false",
    "401, AUTHENTICATION, false",
    "402, QUOTA_EXCEEDED, false",
    "403, PERMISSION, false",
    "404, NOT_FOUND, false",
    "408, REQUEST_TIMEOUT, true",
    "409, SERVER_ERROR, true",
    "413, BAD_REQUEST, false",
    "422, BAD_REQUEST, false",
    "429, RATE_LIMITED, true",
    "418, BAD_REQUEST, false",
    "500, SERVER_ERROR, true",
    "502, SERVER_ERROR, true",
    "503, SERVER_ERROR, true",
    "504, SERVER_ERROR, true",
    "529, OVERLOADED, true",
    "599, SERVER_ERROR, true",
    "302, PROTOCOL, false",
  })
  void statusMapsToKind(int status, Kind kind, boolean retriable) {
    ModelException e = ModelErrors.forResponse(status, "", Optional.empty());
    assertThat(e.kind()).isEqualTo(kind);
    assertThat(e.retriable()).isEqualTo(retriable);
    assertThat(e.getMessage()).contains("HTTP " + status);
  }

  @ParameterizedTest(name = "HTTP {0} with {1} -> {2}")
  @CsvSource({
    "429, '{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}', QUOTA_EXCEEDED",
    "429, '{\"error\":{\"message\":\"slow down\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}', RATE_LIMITED",
    "503, '{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}', OVERLOADED",
    "500, '{\"error\":{\"type\":\"invalid_request_error\",\"message\":\"confused server\"}}', SERVER_ERROR",
    "400, '{\"error\":{\"message\":\"This model''s maximum context length is 8192\",\"type\":\"invalid_request_error\",\"code\":\"context_length_exceeded\"}}', BAD_REQUEST",
    "400, 'not json at all', BAD_REQUEST",
  })
  void errorBodyRefinesTheStatusWithinItsFamily(int status, String body, Kind kind) {
    assertThat(ModelErrors.forResponse(status, body, Optional.empty()).kind()).isEqualTo(kind);
  }

  @Test
  void messageCarriesTheServersExplanation() {
    ModelException e =
        ModelErrors.forResponse(
            401,
            "{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}",
            Optional.empty());
    assertThat(e.kind()).isEqualTo(Kind.AUTHENTICATION);
    assertThat(e.getMessage()).contains("Incorrect API key provided").contains("invalid_api_key");
  }

  @Test
  void retryAfterInSecondsAndAsHttpDate() {
    assertThat(ModelErrors.parseRetryAfter("120")).contains(Duration.ofSeconds(120));
    String inOneMinute =
        DateTimeFormatter.RFC_1123_DATE_TIME.format(
            ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(60));
    assertThat(ModelErrors.parseRetryAfter(inOneMinute).orElseThrow())
        .isBetween(Duration.ofSeconds(50), Duration.ofSeconds(61));
    assertThat(ModelErrors.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"))
        .contains(Duration.ZERO);
    assertThat(ModelErrors.parseRetryAfter("soon")).isEmpty();
    assertThat(ModelErrors.parseRetryAfter("-5")).isEmpty();
  }

  @Test
  void retryAfterHeaderReachesTheException() {
    assertThat(ModelErrors.forResponse(429, "", Optional.of("7")).retryAfter())
        .contains(Duration.ofSeconds(7));
  }

  @Test
  void jsonErrorWithStatus200IsClassifiedByItsType() {
    assertThat(
            ModelErrors.forNonStreamBody(
                    "application/json",
                    "{\"error\":{\"type\":\"insufficient_quota\",\"message\":\"no\"}}")
                .kind())
        .isEqualTo(Kind.QUOTA_EXCEEDED);
    assertThat(ModelErrors.forNonStreamBody("text/html", "<html>login</html>").kind())
        .isEqualTo(Kind.PROTOCOL);
  }
}
