package dev.runnel.serde;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.specific.SpecificData;

/**
 * Resolves Runnel's own generated classes directly. Avro 1.12 refuses to load record classes by
 * name outside {@code org.apache.avro.SERIALIZABLE_PACKAGES}; rather than widen that process-wide
 * allow-list (which guards every Avro user in the JVM), this model trusts exactly the package
 * Runnel generates into and defers everything else to Avro's checks.
 */
final class RunnelSpecificData extends SpecificData {
  private static final String GENERATED_PACKAGE = "dev.runnel.schemas.";
  private final Map<String, Class<?>> generated = new ConcurrentHashMap<>();

  RunnelSpecificData() {
    super(RunnelSpecificData.class.getClassLoader());
    addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
  }

  @Override
  @SuppressWarnings("rawtypes")
  public Class getClass(Schema schema) {
    Schema.Type type = schema.getType();
    boolean named =
        type == Schema.Type.RECORD || type == Schema.Type.ENUM || type == Schema.Type.FIXED;
    if (named && schema.getFullName().startsWith(GENERATED_PACKAGE)) {
      return generated.computeIfAbsent(schema.getFullName(), name -> load(schema));
    }
    return super.getClass(schema);
  }

  private Class<?> load(Schema schema) {
    try {
      return Class.forName(schema.getFullName(), true, getClassLoader());
    } catch (ClassNotFoundException e) {
      return super.getClass(schema);
    }
  }
}
