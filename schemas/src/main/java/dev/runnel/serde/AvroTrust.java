package dev.runnel.serde;

import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Lets Avro load Runnel's generated classes. Avro 1.12 refuses to load any class by name (when it
 * decodes, and when a generated builder deep-copies a nested record) unless it is trusted, by
 * default through the {@code org.apache.avro.SERIALIZABLE_PACKAGES} system property. Rather than
 * ask every user to set that property, Runnel adds to whatever the JVM already trusts exactly its
 * own generated records and enums, nothing else.
 */
public final class AvroTrust {
  private static final Set<String> GENERATED_PACKAGES =
      Set.of("dev.runnel.schemas", "dev.runnel.schemas.internal");
  private static final AtomicBoolean INSTALLED = new AtomicBoolean();

  private AvroTrust() {}

  /** Trusts Runnel's generated classes; idempotent. */
  public static void install() {
    if (INSTALLED.compareAndSet(false, true)) {
      ClassSecurityValidator.setGlobal(
          ClassSecurityValidator.composite(
              ClassSecurityValidator.getGlobal(), AvroTrust::isGenerated));
    }
  }

  private static boolean isGenerated(Class<?> type) {
    return GENERATED_PACKAGES.contains(type.getPackageName())
        && (SpecificRecord.class.isAssignableFrom(type)
            || GenericEnumSymbol.class.isAssignableFrom(type));
  }
}
