package dev.runnel.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;

/** What a user who logs an exception would see: its stack trace, with every cause. */
final class Redaction {
  private Redaction() {}

  static void assertNowhereIn(Throwable e, String... secrets) {
    StringWriter trace = new StringWriter();
    e.printStackTrace(new PrintWriter(trace));
    for (String secret : secrets) {
      assertThat(trace.toString()).doesNotContain(secret);
    }
  }
}
