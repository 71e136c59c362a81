package dev.runnel.processor.internal;

import dev.runnel.action.RetriableFailure;
import dev.runnel.model.ModelException;
import dev.runnel.model.internal.Redaction;
import dev.runnel.schemas.ErrorInfo;
import java.time.Duration;
import java.util.Optional;

/** Classifies what a run failed with. */
final class Failures {
  private Failures() {}

  static boolean retriable(Throwable error) {
    return (error instanceof ModelException m && m.retriable())
        || error instanceof RetriableFailure
        || error instanceof DeltaNotWritten;
  }

  static Optional<Duration> retryAfter(Throwable error) {
    if (error instanceof ModelException m) {
      return m.retryAfter();
    }
    return error instanceof RetriableFailure r ? r.retryAfter() : Optional.empty();
  }

  static String kind(Throwable error) {
    if (error instanceof ModelException m) {
      return m.kind().name();
    }
    if (error instanceof RetriableFailure) {
      return "RETRIABLE_FAILURE";
    }
    if (error instanceof ContractViolation) {
      return "CONTRACT_VIOLATION";
    }
    if (error instanceof DeltaNotWritten) {
      return "DELTA_NOT_WRITTEN";
    }
    if (error instanceof StateTooLarge) {
      return "STATE_TOO_LARGE";
    }
    if (error instanceof ApplicationHalted halted) {
      return halted.kind();
    }
    if (error instanceof UnknownAction) {
      return "UNKNOWN_ACTION";
    }
    return "ACTION_FAILED";
  }

  static ErrorInfo describe(Throwable error) {
    String message = error.getMessage() == null ? error.getClass().getName() : error.getMessage();
    // What an action throws may quote a URL with credentials; the message goes to topics and logs.
    return new ErrorInfo(kind(error), Redaction.URLS.apply(message), retriable(error));
  }
}
