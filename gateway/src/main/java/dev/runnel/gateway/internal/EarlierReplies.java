package dev.runnel.gateway.internal;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Finds the reply a session's state holds for a request that was already answered. */
@FunctionalInterface
interface EarlierReplies {
  /** Finds nothing: a gateway that cannot read session state. */
  EarlierReplies NONE =
      (sessionId, requestId) -> CompletableFuture.completedFuture(Optional.empty());

  /** The assistant message that {@code requestId} added to the session's conversation, if kept. */
  CompletableFuture<Optional<String>> text(String sessionId, String requestId);
}
