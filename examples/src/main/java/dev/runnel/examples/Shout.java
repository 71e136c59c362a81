package dev.runnel.examples;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionResult;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.Final;
import dev.runnel.action.FlowAction;
import dev.runnel.action.StateKey;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.Yield;
import dev.runnel.model.ChatCall;
import dev.runnel.model.ChatCompletion;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.ModelException;
import dev.runnel.model.StreamListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Flow;
import reactor.adapter.JdkFlowAdapter;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;

/**
 * Publisher form, built with Reactor: the model's reply to the conversation, upper-cased delta by
 * delta as it streams, and a final that appends the exchange to the conversation and counts the
 * session's shouts. Runnel sees only a {@link java.util.concurrent.Flow.Publisher}; Reactor is this
 * example's dependency, not Runnel's. Cancelling the run cancels the subscription, and that cancels
 * the model call.
 */
public record Shout(ChatModel model) implements FlowAction {
  /** How many replies the session has been shouted. */
  public static final StateKey<Integer> SHOUTS = StateKey.of("shouts", Integer.class);

  @Override
  public ActionSpec spec() {
    Set<String> fields = Set.of(ActionState.MESSAGES, SHOUTS.name());
    return new ActionSpec("shout", fields, fields);
  }

  @Override
  public Flow.Publisher<Yield> run(ActionState state, ActionInput input) {
    List<ChatMessage> conversation = new ArrayList<>(state.messages());
    conversation.add(ChatMessage.user(input.prompt()));
    Flux<String> reply =
        Flux.create(sink -> stream(new ChatRequest(input.model(), conversation), sink));
    StringBuilder shouted = new StringBuilder();
    Flux<Yield> yields =
        reply
            .map(delta -> delta.toUpperCase(Locale.ROOT))
            .doOnNext(shouted::append)
            .<Yield>map(Yield::partial)
            .concatWith(
                Mono.fromSupplier(
                    () ->
                        new Final(
                            ActionResult.ofPartials(),
                            StateUpdate.builder()
                                .appendMessages(
                                    ChatMessage.user(input.prompt()),
                                    ChatMessage.assistant(shouted.toString()))
                                .set(SHOUTS, state.get(SHOUTS).orElse(0) + 1)
                                .build())));
    return JdkFlowAdapter.publisherToFlowPublisher(yields);
  }

  /** Bridges the model's callbacks into the sink; disposing the sink cancels the call. */
  private void stream(ChatRequest request, FluxSink<String> sink) {
    ChatCall call =
        model.stream(
            request,
            new StreamListener() {
              @Override
              public void onDelta(String text) {
                sink.next(text);
              }

              @Override
              public void onComplete(ChatCompletion completion) {
                sink.complete();
              }

              @Override
              public void onError(ModelException error) {
                sink.error(error);
              }
            });
    sink.onDispose(call::cancel);
  }
}
