package dev.runnel.simulator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The simulator's replies: a sequence of tokens chosen by a generator seeded from the prompt, so
 * the same prompt always gets the same reply, and tests compute the reply they expect with {@link
 * #reply}. The vocabulary mixes ASCII, accented Latin, Chinese and emoji (outside the BMP), so
 * every reply exercises multi-byte UTF-8 and surrogate pairs.
 */
public final class SimulatedReplies {
  private static final String[] VOCABULARY = {
    "the ",
    "river ",
    "runs ",
    "through ",
    "Kafka ",
    "streams ",
    "and ",
    "tokens ",
    "flow ",
    "café ",
    "naïve ",
    "über ",
    "résumé ",
    "流式",
    "模型",
    "数据",
    "你好",
    "世界",
    "，",
    "。",
    "🚀 ",
    "🌊 ",
    "😀 ",
    "👩‍💻 ",
    "∑ ",
    "Ωmega ",
    "—",
    "fast ",
    "quiet ",
    "again ",
  };

  private SimulatedReplies() {}

  /** The first {@code count} tokens of the reply to {@code prompt}. */
  public static List<String> tokens(String prompt, int count) {
    SplittableRandom random = new SplittableRandom(seed(prompt));
    List<String> tokens = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      tokens.add(VOCABULARY[random.nextInt(VOCABULARY.length)]);
    }
    return tokens;
  }

  /** The whole reply of {@code count} tokens to {@code prompt}. */
  public static String reply(String prompt, int count) {
    return String.join("", tokens(prompt, count));
  }

  // FNV-1a over the UTF-8 bytes: stable across JVMs, unlike String.hashCode's spread.
  private static long seed(String prompt) {
    long hash = 0xcbf29ce484222325L;
    for (byte b : prompt.getBytes(StandardCharsets.UTF_8)) {
      hash ^= b & 0xff;
      hash *= 0x100000001b3L;
    }
    return hash;
  }
}
