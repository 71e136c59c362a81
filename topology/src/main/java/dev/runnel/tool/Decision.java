package dev.runnel.tool;

/** A person's answer to a call that needs approval ({@link RemoteCall#needsApproval()}). */
public enum Decision {
  /** The tool may run with the call's arguments. */
  APPROVED,
  /** The tool does not run; the model reads the person's reason or instruction instead. */
  REJECTED
}
