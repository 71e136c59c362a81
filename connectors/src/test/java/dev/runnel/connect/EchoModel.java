package dev.runnel.connect;

import dev.runnel.model.ChatCall;
import dev.runnel.model.ChatCompletion;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.FinishReason;
import dev.runnel.model.ModelException;
import dev.runnel.model.StreamListener;
import dev.runnel.model.TokenUsage;

/**
 * Answers {@code "echo: <prompt>"} word by word at once; a prompt starting with {@code [[reject]]}
 * fails for good with a bad-request error, as a model endpoint refusing it would.
 */
final class EchoModel implements ChatModel {
  static final String REJECT = "[[reject]]";

  @Override
  public ChatCall stream(ChatRequest request, StreamListener listener) {
    String prompt = request.messages().get(request.messages().size() - 1).content();
    if (prompt.startsWith(REJECT)) {
      listener.onError(new ModelException(ModelException.Kind.BAD_REQUEST, "prompt rejected"));
      return () -> {};
    }
    String text = "echo: " + prompt;
    for (String word : text.split("(?<= )")) {
      listener.onDelta(word);
    }
    listener.onComplete(
        new ChatCompletion(
            text,
            FinishReason.STOP,
            new TokenUsage(prompt.length(), text.length(), prompt.length() + text.length())));
    return () -> {};
  }
}
