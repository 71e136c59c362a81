package dev.runnel.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A Java block that a page marks with {@code <!-- quoted from <path> -->} is, line for line and
 * indentation aside, part of that file: the samples readers copy compile and are tested.
 */
class DocsQuoteTheExamplesTest {
  private static final Pattern QUOTE =
      Pattern.compile("<!-- quoted from (\\S+) -->\\n```java\\n(.*?)```", Pattern.DOTALL);

  @ParameterizedTest
  @ValueSource(strings = {"docs/actions.md", "examples/README.md"})
  void everyQuotedSampleIsPartOfItsSource(String page) throws IOException {
    Path root = Path.of("").toAbsolutePath().getParent();
    Matcher quotes = QUOTE.matcher(Files.readString(root.resolve(page)));
    List<String> sources = new ArrayList<>();
    while (quotes.find()) {
      sources.add(quotes.group(1));
      String source = Files.readString(root.resolve(quotes.group(1)));
      assertThat(normalized(source))
          .as("%s quotes %s", page, quotes.group(1))
          .contains(normalized(quotes.group(2)));
    }
    assertThat(sources).as("quotes in %s", page).isNotEmpty();
  }

  private static String normalized(String code) {
    return code.lines().map(String::strip).collect(Collectors.joining("\n"));
  }
}
