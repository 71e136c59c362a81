package dev.runnel.bench.internal;

import java.util.Arrays;
import java.util.List;

/**
 * The median and the range of repeated measurements of one figure.
 *
 * @param median the middle value (the mean of the two middle ones for an even count)
 */
public record Spread(double median, double min, double max, int runs) {

  /**
   * The spread of the values that are numbers; NaN (a figure a window could not give) is left out.
   */
  public static Spread of(List<Double> values) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("no values");
    }
    double[] v =
        values.stream().mapToDouble(Double::doubleValue).filter(d -> !Double.isNaN(d)).toArray();
    if (v.length == 0) {
      return new Spread(Double.NaN, Double.NaN, Double.NaN, 0);
    }
    Arrays.sort(v);
    int n = v.length;
    double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return new Spread(median, v[0], v[n - 1], n);
  }

  /**
   * {@code median (min-max)} with the given format for each number; the median alone for one run.
   */
  public String format(String numberFormat) {
    if (runs == 0) {
      return "n/a";
    }
    String m = String.format(numberFormat, median);
    if (runs == 1) {
      return m;
    }
    return m
        + " ("
        + String.format(numberFormat, min)
        + "–"
        + String.format(numberFormat, max)
        + ")";
  }
}
