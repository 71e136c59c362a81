package dev.runnel.bench.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SamplesTest {

  @Test
  void percentilesAreNearestRank() {
    Samples samples = new Samples();
    // 1..100 shuffled: p50 is 50, p99 is 99, max 100.
    for (int i = 0; i < 100; i++) {
      samples.add((i * 37) % 100 + 1);
    }
    Samples.Summary s = samples.summary();
    assertThat(s.count()).isEqualTo(100);
    assertThat(s.p50()).isEqualTo(50);
    assertThat(s.p99()).isEqualTo(99);
    assertThat(s.max()).isEqualTo(100);
  }

  @Test
  void smallSamplesReportTheirLargestValueAsP99() {
    Samples samples = new Samples();
    samples.add(7);
    samples.add(3);
    samples.add(5);
    Samples.Summary s = samples.summary();
    assertThat(s.p50()).isEqualTo(5);
    assertThat(s.p99()).isEqualTo(7);
  }

  @Test
  void growsBeyondItsInitialCapacity() {
    Samples samples = new Samples();
    for (int i = 1; i <= 5000; i++) {
      samples.add(i);
    }
    assertThat(samples.size()).isEqualTo(5000);
    assertThat(samples.summary().p99()).isEqualTo(4950);
    assertThat(samples.summary().max()).isEqualTo(5000);
  }

  @Test
  void emptySampleSummarisesToZeros() {
    assertThat(new Samples().summary()).isEqualTo(new Samples.Summary(0, 0, 0, 0));
  }

  @Test
  void rejectsAPercentileOutOfRange() {
    assertThatThrownBy(() -> Samples.percentile(new long[] {1}, 0)).hasMessageContaining("was 0.0");
  }

  @Test
  void spreadReportsMedianAndRange() {
    Spread odd = Spread.of(List.of(3.0, 1.0, 2.0));
    assertThat(odd.median()).isEqualTo(2.0);
    assertThat(odd.min()).isEqualTo(1.0);
    assertThat(odd.max()).isEqualTo(3.0);
    assertThat(odd.format("%.1f")).isEqualTo("2.0 (1.0–3.0)");
    assertThat(Spread.of(List.of(1.0, 4.0)).median()).isEqualTo(2.5);
    assertThat(Spread.of(List.of(9.0)).format("%.0f")).isEqualTo("9");
  }

  @Test
  void spreadLeavesOutWindowsWithoutAFigure() {
    Spread some = Spread.of(List.of(Double.NaN, 4.0, 2.0));
    assertThat(some.runs()).isEqualTo(2);
    assertThat(some.median()).isEqualTo(3.0);
    assertThat(Spread.of(List.of(Double.NaN)).format("%.1f")).isEqualTo("n/a");
  }
}
