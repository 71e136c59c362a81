package com.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.action.StreamingAction;
import dev.runnel.testkit.ActionTestDriver;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WordTallyTest {
  @Test
  void streamsTheWordsAndCountsThemOverTheSession() {
    try (ActionTestDriver driver =
        ActionTestDriver.builder(StreamingAction.blocking(new WordTally())).build()) {
      String first = driver.send("alice", "hello kafka streams");
      driver.awaitFinal("alice", first);
      String second = driver.send("alice", "and again");
      driver.awaitFinal("alice", second);

      assertEquals("HELLO KAFKA STREAMS ", driver.rebuiltText(first));
      assertEquals("AND AGAIN ", driver.rebuiltText(second));
      assertEquals(Optional.of(5), driver.field("alice", WordTally.WORDS));
      assertEquals(2L, driver.latestState("alice").orElseThrow().getVersion());
      assertEquals("5", driver.latestState("alice").orElseThrow().getLastResult());
    }
  }

  @Test
  void theCoreBringsJacksonModulesOfOneVersion() {
    String databind = ObjectMapper.class.getPackage().getImplementationVersion();
    String annotations = JsonProperty.class.getPackage().getImplementationVersion();
    assertEquals(minor(databind), minor(annotations), databind + " and " + annotations);
  }

  private static String minor(String version) {
    String[] parts = version.split("\\.");
    return parts[0] + "." + parts[1];
  }

  @Test
  void theCoreBringsNoBrokerAndNoLoggingBackend() {
    for (String absent :
        new String[] {
          "kafka.server.KafkaRaftServer", "scala.Option", "ch.qos.logback.classic.Logger"
        }) {
      assertThrows(ClassNotFoundException.class, () -> Class.forName(absent), absent);
    }
  }
}
