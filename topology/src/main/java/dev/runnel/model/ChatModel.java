package dev.runnel.model;

/**
 * A streaming chat endpoint. {@link #stream} returns at once; the call runs on the client's own
 * threads and reports to the listener: any number of deltas, then exactly one completion or one
 * error. Implementations must not park a thread per open stream.
 */
public interface ChatModel extends AutoCloseable {

  /** Starts a streaming call. Never blocks on the network; errors arrive through the listener. */
  ChatCall stream(ChatRequest request, StreamListener listener);

  /**
   * Starts a streaming call read by a blocking loop (for blocking-form actions); closing the stream
   * or interrupting its reader cancels the call.
   */
  default ChatStream stream(ChatRequest request) {
    return new ChatStream(this, request);
  }

  /** Releases the client's connections and threads. */
  @Override
  default void close() {}
}
