package dev.runnel.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The benchmark hook: the observer hears every token of a reply, in order, before it arrives. */
@Timeout(60)
class TokenObserverTest {

  record Sent(String prompt, int index, long nanos) {}

  @Test
  void observerHearsEachTokenOfTheReplyInOrderBeforeTheClientHasIt() throws Exception {
    List<Sent> sent = new CopyOnWriteArrayList<>();
    try (SimulatedModelServer server =
        SimulatedModelServer.start(
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ZERO)
                .withTokensPerSecond(1000)
                .withReplyTokens(5))) {
      server.observeTokens((prompt, index, nanos) -> sent.add(new Sent(prompt, index, nanos)));
      HttpResponse<String> r =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .build()
              .send(
                  HttpRequest.newBuilder(URI.create(server.openAiBaseUrl() + "/chat/completions"))
                      .POST(
                          HttpRequest.BodyPublishers.ofString(
                              "{\"model\":\"m\",\"stream\":true,\"messages\":"
                                  + "[{\"role\":\"user\",\"content\":\"bench r-1\"}]}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      long received = System.nanoTime();

      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(sent).extracting(Sent::index).containsExactly(0, 1, 2, 3, 4);
      assertThat(sent).extracting(Sent::prompt).containsOnly("bench r-1");
      assertThat(sent).extracting(Sent::nanos).isSorted().allMatch(t -> t <= received);
    }
  }
}
