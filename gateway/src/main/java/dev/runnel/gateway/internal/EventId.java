package dev.runnel.gateway.internal;

import java.util.Optional;

/** A parsed {@code Last-Event-ID}: {@code <partition>-<offset>} of the last chunk a client saw. */
record EventId(int partition, long offset) {

  /** Empty when {@code raw} is absent or not of the gateway's form (a client may send anything). */
  static Optional<EventId> parse(String raw) {
    if (raw == null) {
      return Optional.empty();
    }
    int dash = raw.indexOf('-');
    if (dash <= 0 || dash == raw.length() - 1) {
      return Optional.empty();
    }
    try {
      int partition = Integer.parseInt(raw.substring(0, dash));
      long offset = Long.parseLong(raw.substring(dash + 1));
      if (partition < 0 || offset < 0) {
        return Optional.empty();
      }
      return Optional.of(new EventId(partition, offset));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
