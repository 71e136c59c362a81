package dev.runnel.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.action.StreamingAction;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatRequest;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.testkit.ActionTestDriver;
import dev.runnel.testkit.ScriptedModel;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DraftThenRefineTest {

  @ParameterizedTest
  @ValueSource(strings = {RunnelConfig.LANE_IMMEDIATE, RunnelConfig.LANE_TRANSACTIONAL})
  void streamsTheDraftAndItsRefinementAndKeepsTheDraftInState(String lane) {
    try (ScriptedModel model = ScriptedModel.echoing();
        ActionTestDriver driver =
            ActionTestDriver.builder(StreamingAction.blocking(new DraftThenRefine(model), 2))
                .setting(RunnelConfig.DELTA_LANE_CONFIG, lane)
                .setting(RunnelConfig.MODEL_DEFAULT_CONFIG, "echo-1")
                .build()) {
      String request = driver.send("alice", "Why is the sky blue?");

      assertThat(driver.awaitFinal("alice", request).getLastStatus())
          .isEqualTo(RequestStatus.COMPLETED);
      String draft = "echo: Draft an answer: Why is the sky blue?";
      String refinePrompt = "Improve this draft: " + draft;
      assertThat(model.calls())
          .extracting(ScriptedModel.Call::request)
          .containsExactly(
              new ChatRequest(
                  "echo-1", List.of(ChatMessage.user("Draft an answer: Why is the sky blue?"))),
              new ChatRequest("echo-1", List.of(ChatMessage.user(refinePrompt))));
      assertThat(driver.rebuiltText(request)).isEqualTo(draft + "\n---\necho: " + refinePrompt);
      assertThat(driver.field("alice", DraftThenRefine.DRAFT)).hasValue(draft);
      assertThat(driver.field("alice", DraftThenRefine.DRAFT_CHARS)).hasValue(draft.length());
    }
  }
}
