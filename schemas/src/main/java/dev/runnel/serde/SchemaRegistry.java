package dev.runnel.serde;

import dev.runnel.serde.internal.RegistryClient;
import java.time.Duration;
import java.util.Objects;

/**
 * A connection to a schema registry that speaks the common REST API (Confluent Schema Registry,
 * Apicurio's compatible API, Karapace, Redpanda). One instance holds the id caches; share it
 * between the serdes of one application so each schema is registered or fetched once.
 */
public final class SchemaRegistry {
  private final RegistryClient client;

  private SchemaRegistry(RegistryClient client) {
    this.client = client;
  }

  /**
   * @param url the registry's base URL, such as {@code http://registry:8081}
   * @param basicAuthUserInfo {@code user:password} for HTTP basic authentication, or null for none
   * @param timeout connect and request timeout of each call
   */
  public static SchemaRegistry connect(String url, String basicAuthUserInfo, Duration timeout) {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(timeout, "timeout");
    return new SchemaRegistry(new RegistryClient(url, basicAuthUserInfo, timeout));
  }

  RegistryClient client() {
    return client;
  }

  @Override
  public String toString() {
    return "SchemaRegistry[" + client.url() + "]";
  }
}
