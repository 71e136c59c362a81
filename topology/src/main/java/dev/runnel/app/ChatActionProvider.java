package dev.runnel.app;

import dev.runnel.action.StreamingAction;
import dev.runnel.chat.ChatAction;
import dev.runnel.config.RunnelConfig;

/** The default provider: the chat action over the configured model client. */
public final class ChatActionProvider implements ActionProvider {

  @Override
  public String name() {
    return ChatAction.NAME;
  }

  @Override
  public StreamingAction create(RunnelConfig config) {
    return ChatModels.chatAction(config, ChatModels.create(config));
  }
}
