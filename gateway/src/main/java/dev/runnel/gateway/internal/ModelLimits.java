package dev.runnel.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What every call to the model gets, whatever the request says: the system prompt ({@code
 * runnel.model.system.prompt}) and the cap on a reply's tokens ({@code runnel.model.max.tokens}, 0
 * for the model's own). A prompt record carries neither a system prompt nor a token limit yet, so a
 * request may only ask for what Runnel does anyway: the same system prompt, or a token limit no
 * lower than the cap.
 */
record ModelLimits(String systemPrompt, int maxTokens) {

  /** Refuses a system prompt other than the configured one. */
  void checkSystem(JsonNode value, String param) {
    if (value == null || value.isNull()) {
      return;
    }
    if (!value.isTextual()) {
      throw new Validation.Invalid("bad_" + param, "'" + param + "' must be a string", param);
    }
    if (!value.asText().equals(systemPrompt)) {
      throw ParameterRules.unsupported(
          param,
          "'"
              + param
              + "' is not supported: the model gets the system prompt set by"
              + " runnel.model.system.prompt on every call, and a request cannot replace it yet",
          systemPrompt.isEmpty() ? null : "that same text");
    }
  }

  /**
   * Refuses a token limit Runnel cannot guarantee; {@code required} when the API demands one (as
   * Anthropic's does).
   */
  void checkMaxTokens(JsonNode value, String param, boolean required) {
    if (value == null || value.isNull()) {
      if (required) {
        throw new Validation.Invalid("bad_" + param, "'" + param + "' is required", param);
      }
      return;
    }
    if (!value.isIntegralNumber() || value.asLong() < 1) {
      throw new Validation.Invalid(
          "bad_" + param, "'" + param + "' must be a positive integer", param);
    }
    if (maxTokens == 0) {
      throw ParameterRules.unsupported(
          param,
          "'"
              + param
              + "' "
              + value.asLong()
              + " cannot be honoured: replies are not capped (runnel.model.max.tokens is 0) and"
              + " a request cannot set its own limit yet; set runnel.model.max.tokens",
          null);
    }
    if (value.asLong() < maxTokens) {
      throw ParameterRules.unsupported(
          param,
          "'"
              + param
              + "' "
              + value.asLong()
              + " is below runnel.model.max.tokens ("
              + maxTokens
              + "), the cap every reply gets, and a request cannot lower it yet",
          "a value of at least " + maxTokens);
    }
  }
}
