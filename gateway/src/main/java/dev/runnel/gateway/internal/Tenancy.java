package dev.runnel.gateway.internal;

import java.util.Optional;

/**
 * The one mapping from (tenant, the session id a client names) to the Kafka key of the session, and
 * back. Every endpoint that reads or writes a session goes through {@link #key}, so a tenant's
 * client can only ever name keys under its own prefix: another tenant's session is, to it, a
 * session that does not exist.
 */
final class Tenancy {
  /** The tenant of every request in open mode. */
  static final String OPEN_TENANT = "open";

  private final boolean open;

  Tenancy(boolean open) {
    this.open = open;
  }

  /**
   * The Kafka key of {@code session} of {@code tenant}: {@code <tenant>/<session>}; in open mode
   * the session id itself (one tenant, keys as before tenants existed).
   */
  String key(String tenant, String session) {
    return open ? session : tenant + "/" + session;
  }

  /** The tenant a Kafka key belongs to; empty for a key no tenant's client wrote. */
  Optional<String> tenantOf(String key) {
    if (open) {
      return Optional.of(OPEN_TENANT);
    }
    int slash = key.indexOf('/');
    return slash <= 0 ? Optional.empty() : Optional.of(key.substring(0, slash));
  }
}
