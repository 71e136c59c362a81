package dev.runnel.bench.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The harness's settings. {@code --quick} is a short run to try the harness; {@code --full} (the
 * default) is the run whose report is kept in {@code docs/}.
 */
public record Options(
    boolean quick,
    Duration timeToFirstToken,
    double tokensPerSecond,
    int replyTokens,
    List<Integer> concurrencies,
    int runs,
    Duration window,
    Duration warmUp,
    Path out,
    List<String> modes,
    List<String> args) {

  /** What can run: Runnel in each lane, and the plain blocking processor. */
  public static final List<String> MODES = List.of("immediate", "transactional", "blocking");

  public static final String USAGE =
      "usage: BenchMain [--quick | --full] [--ttft-ms 200] [--tps 25] [--tokens 45]"
          + " [--concurrency 16,64,256,1024] [--runs 3] [--window-s 10] [--warmup-s 30]"
          + " [--modes immediate,transactional,blocking] [--out docs]";

  public static Options parse(String[] argv) {
    boolean quick = Arrays.asList(argv).contains("--quick");
    Duration ttft = Duration.ofMillis(200);
    double tps = 25;
    int tokens = 45;
    List<Integer> concurrencies = quick ? List.of(16, 256) : List.of(16, 64, 256, 1024);
    int runs = quick ? 2 : 3;
    Duration window = Duration.ofSeconds(quick ? 4 : 8);
    Duration warmUp = Duration.ofSeconds(quick ? 10 : 30);
    Path out = Path.of("docs");
    List<String> modes = MODES;
    List<String> shown = new ArrayList<>();
    for (int i = 0; i < argv.length; i++) {
      String a = argv[i];
      if (a.equals("--quick") || a.equals("--full")) {
        shown.add(a);
        continue;
      }
      if (i + 1 >= argv.length) {
        throw new IllegalArgumentException("missing value for " + a + "\n" + USAGE);
      }
      String v = argv[++i];
      switch (a) {
        case "--ttft-ms" -> ttft = Duration.ofMillis(positive(a, v));
        case "--tps" -> tps = positive(a, v);
        case "--tokens" -> tokens = (int) positive(a, v);
        case "--concurrency" -> {
          concurrencies = new ArrayList<>();
          for (String c : v.split(",")) {
            concurrencies.add((int) positive(a, c.trim()));
          }
        }
        case "--runs" -> runs = (int) positive(a, v);
        case "--window-s" -> window = Duration.ofSeconds(positive(a, v));
        case "--warmup-s" -> warmUp = Duration.ofSeconds(positive(a, v));
        case "--out" -> out = Path.of(v);
        case "--modes" -> {
          modes = List.of(v.split(","));
          if (!MODES.containsAll(modes)) {
            throw new IllegalArgumentException(
                "--modes takes some of " + MODES + ", got '" + v + "'\n" + USAGE);
          }
        }
        default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
      }
      if (!a.equals("--out")) {
        shown.add(a);
        shown.add(v);
      }
    }
    return new Options(
        quick,
        ttft,
        tps,
        tokens,
        List.copyOf(concurrencies),
        runs,
        window,
        warmUp,
        out,
        modes,
        shown);
  }

  private static long positive(String option, String value) {
    try {
      long n = Long.parseLong(value);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        option + " needs a positive whole number, got '" + value + "'");
  }

  /** The model's own time for one reply: first token, then the rest at the token rate. */
  public double modelLatencySeconds() {
    return timeToFirstToken.toMillis() / 1000.0 + (replyTokens - 1) / tokensPerSecond;
  }

  /** The command that reproduces this run. */
  public String command() {
    return "mvn -q -B install -DskipTests && mvn -q -B -pl bench exec:exec -Dbench.args=\""
        + String.join(" ", args)
        + "\"";
  }
}
