package dev.runnel.action;

import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** A {@link FlowAction} as a {@link StreamingAction}: one subscription per run. */
final class PublisherAdapter implements StreamingAction {
  private final FlowAction action;
  private final AtomicBoolean closed = new AtomicBoolean();

  PublisherAdapter(FlowAction action) {
    this.action = action;
  }

  @Override
  public ActionSpec spec() {
    return action.spec();
  }

  @Override
  public RunningAction start(ActionState state, ActionInput input, ActionOutput output) {
    AtomicBoolean cancelled = new AtomicBoolean();
    AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
    Flow.Publisher<Yield> publisher = action.run(state, input);
    if (publisher == null) {
      throw new NullPointerException("FlowAction '" + spec().name() + "' returned no publisher");
    }
    publisher.subscribe(
        new Flow.Subscriber<>() {
          @Override
          public void onSubscribe(Flow.Subscription s) {
            if (!subscription.compareAndSet(null, s) || cancelled.get()) {
              s.cancel();
              return;
            }
            s.request(Long.MAX_VALUE);
          }

          @Override
          public void onNext(Yield item) {
            if (cancelled.get()) {
              return;
            }
            if (item instanceof Final last) {
              output.last(last);
            } else if (item instanceof Yield.Partial partial) {
              output.partial(partial.text());
            } else if (item instanceof Yield.ToolCallPartial fragment) {
              output.toolCall(fragment.fragment());
            } else {
              output.fail(new NullPointerException("the publisher emitted null"));
            }
          }

          @Override
          public void onError(Throwable error) {
            if (!cancelled.get()) {
              output.fail(error);
              output.end();
            }
          }

          @Override
          public void onComplete() {
            if (!cancelled.get()) {
              output.end();
            }
          }
        });
    return () -> {
      cancelled.set(true);
      Flow.Subscription s = subscription.get();
      if (s != null) {
        s.cancel();
      }
    };
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      action.close();
    }
  }
}
