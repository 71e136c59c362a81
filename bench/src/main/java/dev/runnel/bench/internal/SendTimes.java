package dev.runnel.bench.internal;

import dev.runnel.simulator.TokenObserver;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * When the simulated model sent each token of each benchmark request, by request id. The prompt of
 * a benchmark request starts with {@link #PREFIX} and its request id, so the simulator's token hook
 * can tell which request a token belongs to without changing what goes over the wire.
 */
public final class SendTimes implements TokenObserver {
  /** Every benchmark prompt starts with this, then the request id, then a space. */
  public static final String PREFIX = "bench ";

  private final Map<String, AtomicLongArray> byRequest = new ConcurrentHashMap<>();
  private final int tokens;

  /**
   * @param tokens tokens in a reply; later ones are not recorded
   */
  public SendTimes(int tokens) {
    this.tokens = tokens;
  }

  /** The prompt text for a request id. */
  public static String prompt(String requestId) {
    return PREFIX + requestId + " tell me about rivers";
  }

  /** Starts tracking a request; call before its prompt is produced. */
  public void expect(String requestId) {
    byRequest.put(requestId, new AtomicLongArray(tokens));
  }

  /** Stops tracking a request (its reply ended). */
  public void forget(String requestId) {
    byRequest.remove(requestId);
  }

  /** When token {@code index} of the request was sent, or 0 when unknown. */
  public long sentAt(String requestId, int index) {
    AtomicLongArray times = byRequest.get(requestId);
    return times == null || index >= times.length() ? 0 : times.get(index);
  }

  @Override
  public void tokenSent(String prompt, int index, long sentNanos) {
    if (!prompt.startsWith(PREFIX)) {
      return;
    }
    int end = prompt.indexOf(' ', PREFIX.length());
    String requestId = prompt.substring(PREFIX.length(), end < 0 ? prompt.length() : end);
    AtomicLongArray times = byRequest.get(requestId);
    if (times != null && index < times.length()) {
      times.set(index, sentNanos);
    }
  }
}
