package dev.runnel.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.action.StreamingAction;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatRequest;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.testkit.ActionTestDriver;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DraftThenRefineTest {

  @ParameterizedTest
  @ValueSource(strings = {RunnelConfig.LANE_IMMEDIATE, RunnelConfig.LANE_TRANSACTIONAL})
  void streamsTheDraftAndItsRefinementAndKeepsTheDraftInState(String lane) {
    EchoModel model = new EchoModel();
    try (model;
        ActionTestDriver driver =
            ActionTestDriver.builder(StreamingAction.blocking(new DraftThenRefine(model), 2))
                .setting(RunnelConfig.DELTA_LANE_CONFIG, lane)
                .setting(RunnelConfig.MODEL_DEFAULT_CONFIG, "echo-1")
                .build()) {
      String request = driver.send("alice", "Why is the sky blue?");

      assertThat(driver.awaitFinal("alice", request).getLastStatus())
          .isEqualTo(RequestStatus.COMPLETED);
      String draft = "Draft an answer: Why is the sky blue?";
      String refined = "Improve this draft: " + draft;
      assertThat(model.calls())
          .extracting(call -> call.request)
          .containsExactly(
              new ChatRequest("echo-1", List.of(ChatMessage.user(draft))),
              new ChatRequest("echo-1", List.of(ChatMessage.user(refined))));
      assertThat(driver.rebuiltText(request)).isEqualTo(draft + "\n---\n" + refined);
      assertThat(driver.field("alice", DraftThenRefine.DRAFT)).hasValue(draft);
      assertThat(driver.field("alice", DraftThenRefine.DRAFT_CHARS)).hasValue(draft.length());
    }
  }
}
