package dev.runnel.model;

import java.time.Duration;
import java.util.Objects;

/**
 * The four limits on a streaming call. Each one that runs out ends the call with {@link
 * ModelException.Kind#TIMEOUT} and closes its connection.
 *
 * @param connect to open the TCP (and TLS) connection
 * @param firstToken from the start of the call to the first delta
 * @param idle between one delta and the next
 * @param total from the start of the call to its end
 */
public record ModelTimeouts(Duration connect, Duration firstToken, Duration idle, Duration total) {

  /** 10 s to connect, 60 s to the first token, 30 s between tokens, 10 min in all. */
  public static final ModelTimeouts DEFAULTS =
      new ModelTimeouts(
          Duration.ofSeconds(10),
          Duration.ofSeconds(60),
          Duration.ofSeconds(30),
          Duration.ofMinutes(10));

  public ModelTimeouts {
    requirePositive(connect, "connect");
    requirePositive(firstToken, "firstToken");
    requirePositive(idle, "idle");
    requirePositive(total, "total");
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " timeout must be > 0, was " + d);
    }
  }
}
