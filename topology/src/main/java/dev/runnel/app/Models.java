package dev.runnel.app;

import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatModel;
import org.apache.kafka.common.config.ConfigException;

/** Builds the model client the configuration names. */
final class Models {
  private Models() {}

  static ChatModel create(RunnelConfig config) {
    throw new ConfigException(
        "runnel.model.provider",
        config.originals().get("runnel.model.provider"),
        "no model client is available yet");
  }

  /** Provider and endpoint for the startup log; never the key. */
  static String describe(RunnelConfig config) {
    return "model provider=" + config.originals().get("runnel.model.provider");
  }
}
