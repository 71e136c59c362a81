package dev.runnel.processor.internal;

/** An action broke the streaming-action contract; never retried. */
final class ContractViolation extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ContractViolation(String message) {
    super(message);
  }
}
