package dev.runnel.processor.internal;

/** A final whose state would not fit in one record even after dropping the older messages. */
final class StateTooLarge extends RuntimeException {
  private static final long serialVersionUID = 1L;

  StateTooLarge(String message) {
    super(message, null, false, false);
  }
}
