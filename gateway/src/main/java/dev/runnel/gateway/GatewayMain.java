package dev.runnel.gateway;

import dev.runnel.config.RunnelConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a gateway on its own: {@code GatewayMain [config.properties]}. Environment variables
 * override the file: {@code RUNNEL_GATEWAY_PORT} sets {@code runnel.gateway.port}, {@code
 * KAFKA_BOOTSTRAP_SERVERS} sets {@code bootstrap.servers} (upper case, dots as underscores).
 */
public final class GatewayMain {
  private GatewayMain() {}

  public static void main(String[] args) throws InterruptedException {
    Map<String, Object> props = new HashMap<>();
    if (args.length > 0) {
      Properties file = new Properties();
      try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
        file.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read the configuration file " + args[0], e);
      }
      file.forEach((k, v) -> props.put(k.toString(), v));
    }
    System.getenv()
        .forEach(
            (name, value) -> {
              if (name.startsWith("RUNNEL_")) {
                props.put(name.toLowerCase(Locale.ROOT).replace('_', '.'), value);
              } else if (name.startsWith("KAFKA_")) {
                props.put(name.substring(6).toLowerCase(Locale.ROOT).replace('_', '.'), value);
              }
            });
    props.putIfAbsent("bootstrap.servers", "127.0.0.1:9092");
    Gateway gateway = Gateway.start(new RunnelConfig(props));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  gateway.close();
                  stopped.countDown();
                },
                "runnel-gateway-shutdown"));
    System.out.println("Runnel gateway: chat page at " + gateway.url() + "/");
    stopped.await();
  }
}
