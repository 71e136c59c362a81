package dev.runnel.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.action.StreamingAction;
import dev.runnel.model.ChatMessage;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.SessionState;
import dev.runnel.testkit.ActionTestDriver;
import dev.runnel.testkit.ScriptedModel;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShoutTest {

  @Test
  void shoutsTheReplyAndKeepsTheConversation() {
    try (ScriptedModel model = ScriptedModel.echoing();
        ActionTestDriver driver =
            ActionTestDriver.builder(StreamingAction.fromPublisher(new Shout(model))).build()) {
      String first = driver.send("alice", "hello there");
      driver.awaitFinal("alice", first);
      String second = driver.send("alice", "and café again");
      SessionState state = driver.awaitFinal("alice", second);

      assertThat(driver.rebuiltText(first)).isEqualTo("ECHO: HELLO THERE");
      assertThat(driver.rebuiltText(second)).isEqualTo("ECHO: AND CAFÉ AGAIN");
      assertThat(model.calls().get(1).request().messages())
          .containsExactly(
              ChatMessage.user("hello there"),
              ChatMessage.assistant("ECHO: HELLO THERE"),
              ChatMessage.user("and café again"));
      assertThat(state.getMessages())
          .extracting(Message::getContent)
          .containsExactly(
              "hello there", "ECHO: HELLO THERE", "and café again", "ECHO: AND CAFÉ AGAIN");
      assertThat(driver.field("alice", Shout.SHOUTS)).hasValue(2);
    }
  }

  @Test
  void cancellingTheRunCancelsTheModelCall() throws InterruptedException {
    try (ScriptedModel model = ScriptedModel.manual();
        ActionTestDriver driver =
            ActionTestDriver.builder(StreamingAction.fromPublisher(new Shout(model))).build()) {
      String request = driver.send("alice", "wait for it");
      model.awaitCall(0).delta("wait ");
      driver.awaitPartial(request);
      driver.cancel("alice", request);

      assertThat(driver.awaitFinal("alice", request).getLastStatus())
          .isEqualTo(RequestStatus.CANCELLED);
      await().atMost(Duration.ofSeconds(10)).until(() -> model.calls().get(0).cancelled());
      SessionState state = driver.latestState("alice").orElseThrow();
      assertThat(state.getMessages()).isEqualTo(List.of());
      assertThat(state.getJsonFields()).doesNotContainKey(Shout.SHOUTS.name());
    }
  }
}
