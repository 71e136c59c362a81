package dev.runnel.processor.internal;

import java.util.Set;

/**
 * A request accepted for an action this instance no longer hosts (it was deployed without it
 * since): the request fails for good rather than wait for ever.
 */
final class UnknownAction extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UnknownAction(String name, Set<String> hosted) {
    super("action '" + name + "' is not hosted by this instance (actions: " + hosted + ")");
  }

  /** A step's action that the application, as deployed now, no longer has. */
  UnknownAction(String application, String action) {
    super("application '" + application + "' has no action '" + action + "' (any more)");
  }
}
