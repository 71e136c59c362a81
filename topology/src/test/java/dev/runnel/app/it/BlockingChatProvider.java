package dev.runnel.app.it;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionResult;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.BlockingAction;
import dev.runnel.action.Final;
import dev.runnel.action.Partials;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.StreamingAction;
import dev.runnel.app.ActionProvider;
import dev.runnel.app.ChatModels;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.ChatStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A chat written in the blocking form on the public API alone, for tests that run an instance from
 * settings ({@code runnel.actions} names this class): it streams the model's reply to the
 * conversation and appends the prompt and the reply, as the built-in chat does.
 */
public final class BlockingChatProvider implements ActionProvider {

  @Override
  public String name() {
    return "blocking-chat";
  }

  @Override
  public StreamingAction create(RunnelConfig config) {
    return StreamingAction.blocking(new BlockingChat(ChatModels.create(config)));
  }

  private record BlockingChat(ChatModel model) implements BlockingAction {
    @Override
    public ActionSpec spec() {
      return new ActionSpec(
          "blocking-chat", Set.of(ActionState.MESSAGES), Set.of(ActionState.MESSAGES));
    }

    @Override
    public Final run(ActionState state, ActionInput input, Partials partials) {
      ChatMessage user = ChatMessage.user(input.prompt());
      List<ChatMessage> conversation = new ArrayList<>(state.messages());
      conversation.add(user);
      StringBuilder reply = new StringBuilder();
      try (ChatStream stream = model.stream(new ChatRequest(input.model(), conversation))) {
        for (String delta : stream) {
          partials.emit(delta);
          reply.append(delta);
        }
      }
      return new Final(
          ActionResult.ofPartials(),
          StateUpdate.builder()
              .appendMessages(user, ChatMessage.assistant(reply.toString()))
              .build());
    }

    @Override
    public void close() {
      model.close();
    }
  }
}
