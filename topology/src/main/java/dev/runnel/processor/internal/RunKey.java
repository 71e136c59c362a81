package dev.runnel.processor.internal;

/** One attempt of one request of one session. */
record RunKey(String sessionId, String requestId, int attempt) {}
