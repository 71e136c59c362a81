package dev.runnel.model.internal;

/**
 * A provider's chunk format on top of server-sent events. One instance per call; its methods are
 * called from one thread at a time, in stream order.
 */
public interface SseProtocol {

  /** One dispatched event. Throws {@link dev.runnel.model.ModelException} for a bad chunk. */
  void onEvent(SseEvent event, CallSink sink);

  /** The body ended; completes the call if the stream said it was whole, else reports a drop. */
  void onEndOfStream(CallSink sink);
}
