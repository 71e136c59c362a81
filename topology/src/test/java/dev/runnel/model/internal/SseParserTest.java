package dev.runnel.model.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SseParserTest {

  private static List<SseEvent> parseWhole(String body) {
    return parse(body.getBytes(StandardCharsets.UTF_8), new int[] {Integer.MAX_VALUE});
  }

  /** Feeds the body in pieces of the given sizes (cycled), each its own ByteBuffer. */
  private static List<SseEvent> parse(byte[] body, int[] sizes) {
    List<SseEvent> events = new ArrayList<>();
    SseParser parser = new SseParser(events::add);
    int i = 0;
    int k = 0;
    while (i < body.length) {
      int n = Math.min(sizes[k++ % sizes.length], body.length - i);
      parser.feed(ByteBuffer.wrap(body, i, n).slice());
      i += n;
    }
    return events;
  }

  private static List<SseEvent> byteByByte(String body) {
    return parse(body.getBytes(StandardCharsets.UTF_8), new int[] {1});
  }

  @Test
  void dataWithAndWithoutTheSpaceAfterTheColon() {
    assertThat(parseWhole("data: a\n\ndata:b\n\ndata:  c\n\n"))
        .extracting(SseEvent::data)
        .containsExactly("a", "b", " c");
  }

  @Test
  void multipleDataLinesJoinWithLineFeed() {
    assertThat(parseWhole("data: {\"a\":\ndata: 1}\n\n"))
        .extracting(SseEvent::data)
        .containsExactly("{\"a\":\n1}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"\n", "\r", "\r\n"})
  void everyLineEndingWorks(String eol) {
    String body =
        "event: delta" + eol + "data: x" + eol + eol + ": comment" + eol + "data: y" + eol + eol;
    assertThat(byteByByte(body))
        .extracting(SseEvent::type, SseEvent::data)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("delta", "x"),
            org.assertj.core.groups.Tuple.tuple("message", "y"));
  }

  @Test
  void crAtTheEndOfOneReadAndLfAtTheStartOfTheNextAreOneLineEnd() {
    SseParser parser;
    List<SseEvent> events = new ArrayList<>();
    parser = new SseParser(events::add);
    parser.feed("data: one\r".getBytes(StandardCharsets.UTF_8));
    parser.feed("\ndata: two\r".getBytes(StandardCharsets.UTF_8));
    parser.feed("\n\r".getBytes(StandardCharsets.UTF_8));
    parser.feed("\n".getBytes(StandardCharsets.UTF_8));
    // Had the CR+LF pair been read as two line ends, "one" would have been dispatched alone.
    assertThat(events).extracting(SseEvent::data).containsExactly("one\ntwo");
  }

  @Test
  void mixedLineEndingsInOneStream() {
    assertThat(parseWhole("data: a\r\ndata: b\rdata: c\n\r\n"))
        .extracting(SseEvent::data)
        .containsExactly("a\nb\nc");
  }

  @Test
  void leadingBomIsDroppedEvenWhenSplit() {
    byte[] body = "\uFEFFdata: x\n\n".getBytes(StandardCharsets.UTF_8);
    assertThat(parse(body, new int[] {1})).extracting(SseEvent::data).containsExactly("x");
    assertThat(parse(body, new int[] {2, 5})).extracting(SseEvent::data).containsExactly("x");
  }

  @Test
  void onlyTheFirstBomIsDropped() {
    // A second BOM is content: the field name becomes "\uFEFFdata", which is unknown.
    assertThat(parseWhole("\uFEFF\uFEFFdata: x\n\ndata: y\n\n"))
        .extracting(SseEvent::data)
        .containsExactly("y");
  }

  @Test
  void commentsAndUnknownFieldsAreIgnored() {
    assertThat(parseWhole(": keep-alive\nfoo: bar\ndata: x\n:another\n\n"))
        .extracting(SseEvent::data)
        .containsExactly("x");
  }

  @Test
  void fieldWithoutColonHasEmptyValue() {
    // "data" alone appends an empty line; the event's data is "\n" minus the last LF.
    assertThat(parseWhole("data\ndata\n\n")).extracting(SseEvent::data).containsExactly("\n");
    assertThat(parseWhole("data\n\n")).extracting(SseEvent::data).containsExactly("");
  }

  @Test
  void eventWithoutDataIsNotDispatchedAndResetsItsType() {
    assertThat(parseWhole("event: ping\n\ndata: x\n\n"))
        .extracting(SseEvent::type, SseEvent::data)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("message", "x"));
  }

  @Test
  void idIsRememberedAcrossEventsAndIgnoredWithNul() {
    List<SseEvent> events =
        parseWhole("id: 7\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\nid\ndata: d\n\n");
    assertThat(events).extracting(SseEvent::lastEventId).containsExactly("7", "7", "7", "");
  }

  @Test
  void retryTakesOnlyDigits() {
    List<SseEvent> events = new ArrayList<>();
    SseParser parser = new SseParser(events::add);
    parser.feed("retry: 1500\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(parser.retryMillis()).isEqualTo(1500);
    parser.feed("retry: 15x\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(parser.retryMillis()).isEqualTo(1500);
  }

  @Test
  void unterminatedEventAtTheEndIsNotDispatched() {
    assertThat(parseWhole("data: whole\n\ndata: half\n"))
        .extracting(SseEvent::data)
        .containsExactly("whole");
  }

  @Test
  void oversizedEventIsRejected() {
    SseParser parser = new SseParser(e -> {});
    byte[] big = new byte[9 * 1024 * 1024];
    java.util.Arrays.fill(big, (byte) 'a');
    assertThatThrownBy(
            () -> {
              parser.feed("data: ".getBytes(StandardCharsets.UTF_8));
              parser.feed(big);
            })
        .isInstanceOf(SseParser.SseException.class)
        .hasMessageContaining("larger than");
  }

  @RepeatedTest(50)
  void multiByteTextSurvivesAnySplit() {
    Random random = new Random();
    List<String> datas = new ArrayList<>();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    String[] eols = {"\n", "\r", "\r\n"};
    String[] pieces = {"你好", "世界", "🚀", "👩‍💻", "café", "∑", "plain", "Ω"};
    for (int e = 0; e < 30; e++) {
      StringBuilder data = new StringBuilder();
      for (int p = 0; p < 1 + random.nextInt(5); p++) {
        data.append(pieces[random.nextInt(pieces.length)]);
      }
      datas.add(data.toString());
      String eol = eols[random.nextInt(eols.length)];
      String framed =
          (random.nextBoolean() ? ": c" + eol : "")
              + "data:"
              + (random.nextBoolean() ? " " : "")
              + data
              + eol
              + eol;
      body.writeBytes(framed.getBytes(StandardCharsets.UTF_8));
    }
    int[] sizes = new int[20];
    for (int i = 0; i < sizes.length; i++) {
      sizes[i] = 1 + random.nextInt(7);
    }
    assertThat(parse(body.toByteArray(), sizes)).extracting(SseEvent::data).isEqualTo(datas);
  }
}
