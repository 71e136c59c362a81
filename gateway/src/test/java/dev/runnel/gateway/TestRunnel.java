package dev.runnel.gateway;

import static org.awaitility.Awaitility.await;

import dev.runnel.application.Application;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatModel;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatorSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiFunction;
import org.apache.kafka.streams.KafkaStreams;

/** A broker, the simulated model, {@code topologies} topology instances and one gateway. */
final class TestRunnel implements AutoCloseable {
  final TestBroker broker;
  final SimulatedModelServer simulator;
  final RunnelStack stack;
  final Gateway gateway;

  private TestRunnel(
      TestBroker broker, SimulatedModelServer simulator, RunnelStack stack, Gateway gateway) {
    this.broker = broker;
    this.simulator = simulator;
    this.stack = stack;
    this.gateway = gateway;
  }

  static TestRunnel start(String name, int partitions, int topologies, SimulatorSettings model)
      throws Exception {
    return start(name, partitions, topologies, model, Map.of());
  }

  /** The same, every part with {@code settings} too. */
  static TestRunnel start(
      String name,
      int partitions,
      int topologies,
      SimulatorSettings model,
      Map<String, Object> settings)
      throws Exception {
    return start(name, partitions, topologies, model, settings, RunnelStack.CHAT);
  }

  /**
   * One topology instance hosting the applications {@code applications} makes with the configured
   * model client, and a gateway.
   */
  static TestRunnel start(
      String name,
      int partitions,
      SimulatorSettings model,
      BiFunction<RunnelConfig, ChatModel, List<Application>> applications)
      throws Exception {
    return start(name, partitions, 1, model, Map.of(), applications);
  }

  private static TestRunnel start(
      String name,
      int partitions,
      int topologies,
      SimulatorSettings model,
      Map<String, Object> settings,
      BiFunction<RunnelConfig, ChatModel, List<Application>> applications)
      throws Exception {
    TestBroker broker = TestBroker.start();
    SimulatedModelServer simulator = SimulatedModelServer.start(model);
    RunnelStack stack =
        new RunnelStack(broker, name + "-" + UUID.randomUUID(), partitions, simulator)
            .with(settings);
    for (int i = 0; i < topologies; i++) {
      stack.startTopology(applications);
    }
    Gateway gateway = stack.startGateway(Map.of());
    await()
        .atMost(Duration.ofSeconds(90))
        .until(
            () ->
                gateway.ready()
                    && stack.instances().stream()
                        .allMatch(s -> s.state() == KafkaStreams.State.RUNNING));
    return new TestRunnel(broker, simulator, stack, gateway);
  }

  @Override
  public void close() {
    stack.close();
    simulator.close();
    broker.close();
  }
}
