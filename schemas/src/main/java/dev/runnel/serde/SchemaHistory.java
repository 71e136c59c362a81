package dev.runnel.serde;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * The schema versions kept for a record, read from {@code schema-history/<full name>/v<n>.avsc} on
 * the class path. Version 1 is the first published schema; the last one equals the current schema
 * (a test enforces it), so a reader can resolve anything any released writer produced.
 */
public final class SchemaHistory {
  private static final String ROOT = "schema-history/";

  private SchemaHistory() {}

  /** Every kept version of the named record, oldest first. */
  public static List<Schema> versions(String fullName) {
    List<Schema> versions = new ArrayList<>();
    for (int n = 1; ; n++) {
      String resource = ROOT + fullName + "/v" + n + ".avsc";
      try (InputStream in = SchemaHistory.class.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          return versions;
        }
        versions.add(new Schema.Parser().parse(in));
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read kept schema " + resource, e);
      }
    }
  }
}
