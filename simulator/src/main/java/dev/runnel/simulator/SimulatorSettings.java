package dev.runnel.simulator;

import java.time.Duration;
import java.util.Objects;

/**
 * The simulator's defaults for every request; a request may override each of them (see {@link
 * SimulatedModelServer}).
 *
 * @param host address to listen on (loopback by default)
 * @param port port to listen on; 0 picks a free one
 * @param timeToFirstToken wait between the response headers and the first token
 * @param tokensPerSecond pace of the tokens after the first
 * @param replyTokens tokens in a reply
 */
public record SimulatorSettings(
    String host, int port, Duration timeToFirstToken, double tokensPerSecond, int replyTokens) {

  /** Loopback, a free port, 200 ms to the first token, 50 tokens/s, 40 tokens. */
  public static final SimulatorSettings DEFAULTS =
      new SimulatorSettings("127.0.0.1", 0, Duration.ofMillis(200), 50, 40);

  public SimulatorSettings {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(timeToFirstToken, "timeToFirstToken");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, was " + port);
    }
    if (timeToFirstToken.isNegative()) {
      throw new IllegalArgumentException("timeToFirstToken must be >= 0, was " + timeToFirstToken);
    }
    if (!(tokensPerSecond > 0)) {
      throw new IllegalArgumentException("tokensPerSecond must be > 0, was " + tokensPerSecond);
    }
    if (replyTokens < 1) {
      throw new IllegalArgumentException("replyTokens must be >= 1, was " + replyTokens);
    }
  }

  public SimulatorSettings withPort(int newPort) {
    return new SimulatorSettings(host, newPort, timeToFirstToken, tokensPerSecond, replyTokens);
  }

  public SimulatorSettings withTimeToFirstToken(Duration ttft) {
    return new SimulatorSettings(host, port, ttft, tokensPerSecond, replyTokens);
  }

  public SimulatorSettings withTokensPerSecond(double tps) {
    return new SimulatorSettings(host, port, timeToFirstToken, tps, replyTokens);
  }

  public SimulatorSettings withReplyTokens(int tokens) {
    return new SimulatorSettings(host, port, timeToFirstToken, tokensPerSecond, tokens);
  }
}
