package dev.runnel.model;

/** Token counts as the provider reported them; zeros when it reported none. */
public record TokenUsage(long promptTokens, long completionTokens, long totalTokens) {
  public static final TokenUsage NONE = new TokenUsage(0, 0, 0);

  public TokenUsage {
    if (promptTokens < 0 || completionTokens < 0 || totalTokens < 0) {
      throw new IllegalArgumentException(
          "token counts must be >= 0: "
              + promptTokens
              + "/"
              + completionTokens
              + "/"
              + totalTokens);
    }
  }

  public TokenUsage plus(TokenUsage other) {
    return new TokenUsage(
        promptTokens + other.promptTokens,
        completionTokens + other.completionTokens,
        totalTokens + other.totalTokens);
  }
}
