package dev.runnel.model;

/** Why a model stopped generating. */
public enum FinishReason {
  /** A natural end or a stop sequence. */
  STOP,
  /** The token limit was reached. */
  LENGTH,
  /** The provider's content filter cut the reply. */
  CONTENT_FILTER,
  /** The model asked for tools: {@link ChatCompletion#toolCalls()}. */
  TOOL_CALLS,
  /** A reason this version does not know. */
  UNKNOWN
}
