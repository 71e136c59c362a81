package dev.runnel.model;

/** A running streaming call. */
public interface ChatCall {

  /**
   * Stops the call and closes its connection. After it returns the listener gets no further delta;
   * if the call had not ended, it ends with a {@link ModelException.Kind#CANCELLED} error. Safe to
   * call more than once and from any thread.
   */
  void cancel();
}
