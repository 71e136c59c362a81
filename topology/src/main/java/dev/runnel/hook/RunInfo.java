package dev.runnel.hook;

/**
 * One attempt of one request.
 *
 * @param session the session id (the record key)
 * @param requestId the request's id
 * @param attempt 1 for the first attempt, higher after a retry or a restart
 * @param action the name of the action that runs it
 */
public record RunInfo(String session, String requestId, int attempt, String action) {}
