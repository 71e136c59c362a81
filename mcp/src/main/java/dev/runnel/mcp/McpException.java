package dev.runnel.mcp;

/** An MCP server that cannot be reached, a tool it does not have, or a call that failed. */
public final class McpException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  McpException(String message, Throwable cause) {
    super(message, cause);
  }
}
