package dev.runnel.bench.internal;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Draws the report's figure: throughput against the ideal, and added latency, by concurrency. */
public final class Plot {
  private static final int WIDTH = 1400;
  private static final int HEIGHT = 560;

  private Plot() {}

  public static void write(List<PointResult> points, double latencySeconds, Path file)
      throws IOException {
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, HEIGHT);
    throughput(points, latencySeconds).draw(g, new Rectangle2D.Double(0, 0, WIDTH / 2.0, HEIGHT));
    latency(points).draw(g, new Rectangle2D.Double(WIDTH / 2.0, 0, WIDTH / 2.0, HEIGHT));
    g.dispose();
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    ImageIO.write(image, "png", file.toFile());
  }

  private static JFreeChart throughput(List<PointResult> points, double latencySeconds) {
    XYSeriesCollection data = new XYSeriesCollection();
    XYSeries ideal = new XYSeries("ideal C / L");
    Map<String, XYSeries> byMode = new LinkedHashMap<>();
    for (PointResult p : points) {
      if (p.mode().contains("2 instances")) {
        continue;
      }
      ideal.addOrUpdate(p.concurrency(), p.concurrency() / latencySeconds);
      byMode
          .computeIfAbsent(p.mode(), m -> new XYSeries(label(m)))
          .add(p.concurrency(), Math.max(p.repliesPerSecond().median(), 0.01));
    }
    data.addSeries(ideal);
    byMode.values().forEach(data::addSeries);
    XYPlot plot = plot(data, "sessions with a call in flight (C)", "replies per second");
    plot.getRenderer().setSeriesStroke(0, dashed());
    plot.getRenderer().setSeriesPaint(0, Color.BLACK);
    int i = 1;
    for (String mode : byMode.keySet()) {
      plot.getRenderer().setSeriesPaint(i++, color(mode));
    }
    JFreeChart chart = new JFreeChart(plot);
    chart.setTitle(
        new TextTitle(
            String.format("Throughput against the ideal C / L (L = %.2f s)", latencySeconds)));
    chart.setBackgroundPaint(Color.WHITE);
    return chart;
  }

  private static JFreeChart latency(List<PointResult> points) {
    XYSeriesCollection data = new XYSeriesCollection();
    Map<String, XYSeries> series = new LinkedHashMap<>();
    Map<String, String> modes = new LinkedHashMap<>();
    for (PointResult p : points) {
      if (p.mode().contains("2 instances")) {
        continue;
      }
      String m = label(p.mode());
      modes.put(m + ": first token p99", p.mode());
      modes.put(m + ": per token p99", p.mode());
      series
          .computeIfAbsent(m + ": first token p99", XYSeries::new)
          .add(p.concurrency(), Math.max(p.spread(w -> w.firstToken().p99() / 1e6).median(), 0.01));
      series
          .computeIfAbsent(m + ": per token p99", XYSeries::new)
          .add(p.concurrency(), Math.max(p.spread(w -> w.perToken().p99() / 1e6).median(), 0.01));
    }
    series.values().forEach(data::addSeries);
    XYPlot plot = plot(data, "sessions with a call in flight (C)", "added latency p99 (ms)");
    int i = 0;
    for (String name : series.keySet()) {
      plot.getRenderer().setSeriesPaint(i, color(modes.get(name)));
      if (name.endsWith("per token p99")) {
        plot.getRenderer().setSeriesStroke(i, dashed());
      }
      i++;
    }
    JFreeChart chart = new JFreeChart(plot);
    chart.setTitle(new TextTitle("Added latency (consumer receipt minus model send), p99"));
    chart.setBackgroundPaint(Color.WHITE);
    return chart;
  }

  private static XYPlot plot(XYSeriesCollection data, String xLabel, String yLabel) {
    LogAxis x = new LogAxis(xLabel);
    x.setBase(2);
    x.setSmallestValue(1);
    x.setTickUnit(new NumberTickUnit(1));
    x.setNumberFormatOverride(new DecimalFormat("#,##0"));
    // Base 2 on both axes: at least one labelled tick per doubling, whatever the range.
    LogAxis y = new LogAxis(yLabel);
    y.setBase(2);
    y.setSmallestValue(0.01);
    y.setTickUnit(new NumberTickUnit(1));
    y.setNumberFormatOverride(new DecimalFormat("#,##0.##"));
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    for (int i = 0; i < data.getSeriesCount(); i++) {
      renderer.setSeriesStroke(i, new BasicStroke(2f));
    }
    XYPlot plot = new XYPlot(data, x, y, renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    return plot;
  }

  private static BasicStroke dashed() {
    return new BasicStroke(
        2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 6f}, 0f);
  }

  private static Color color(String mode) {
    return switch (mode) {
      case "immediate" -> new Color(0x1f77b4);
      case "transactional" -> new Color(0x2ca02c);
      case "blocking" -> new Color(0xd62728);
      default -> new Color(0xff7f0e);
    };
  }

  private static String label(String mode) {
    return mode.startsWith("blocking") ? "plain " + mode + " in process()" : "Runnel " + mode;
  }
}
