package dev.runnel.processor.internal;

/**
 * One attempt of one request of one session, and the model call that runs it: {@code callId} is
 * unique per call (null when no call started), so records of two calls never look alike even when a
 * rollback made them share an attempt number.
 */
record RunKey(String sessionId, String requestId, int attempt, String callId) {}
