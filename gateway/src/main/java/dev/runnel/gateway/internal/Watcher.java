package dev.runnel.gateway.internal;

/**
 * One party watching a session's chunks. The feed calls it on its own thread with the session's
 * lock held, so an implementation must never block: it hands the event to its connection and
 * returns.
 */
interface Watcher {
  /**
   * Takes an event of the watched session, in offset order and never one twice.
   *
   * @return false when this watcher is done (ended, closed or overflowed) and should be dropped
   */
  boolean offer(ChunkEvent event);

  /**
   * The watcher now gets live records: every chunk of its session the feed had read when it
   * subscribed has been offered. Called with the session's lock held.
   */
  default void caughtUp() {}

  /** The feed gave up on this watcher (e.g. a resume that could not be served); end it. */
  void fail(String code, String message);
}
