package dev.runnel.processor.internal;

/** The immediate lane could not write a delta; the attempt is retried as a whole. */
final class DeltaNotWritten extends RuntimeException {
  private static final long serialVersionUID = 1L;

  DeltaNotWritten(Throwable cause) {
    super("delta could not be written to the chunks topic: " + cause.getMessage(), cause);
  }
}
