package dev.runnel.processor.internal;

/**
 * One attempt of one step of one request of one session, and the model call that runs it: {@code
 * callId} is unique per call (null when no call started), so records of two calls never look alike
 * even when a rollback made them share an attempt number. {@code step} counts the steps of an
 * application's run from 0 and {@code action} names the step's action (null when no call started).
 */
record RunKey(
    String sessionId, String requestId, int attempt, String callId, int step, String action) {

  /** A key that names no call: a request that ends before, or without, any step running. */
  RunKey(String sessionId, String requestId, int attempt, String callId) {
    this(sessionId, requestId, attempt, callId, 0, null);
  }
}
