package dev.runnel.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ResponseIdTest {

  @Test
  void anIdDecodesToTheSessionRequestAndOffsetItWasMadeFrom() {
    ResponseId id =
        new ResponseId("chat:session-1", "req.7", 3, 12_345L, 1_700_000_000L, "m", true, false);

    String encoded = id.encode();

    assertThat(encoded).startsWith("resp_").matches("resp_[A-Za-z0-9_-]+");
    assertThat(ResponseId.decode(encoded)).contains(id);
  }

  @Test
  void anythingElseIsNoId() {
    assertThat(ResponseId.decode(null)).isEmpty();
    assertThat(ResponseId.decode("resp_")).isEmpty();
    assertThat(ResponseId.decode("resp_!!!")).isEmpty();
    assertThat(ResponseId.decode("chatcmpl-1")).isEmpty();
    String notOurs =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                "[1,\"bad session id\",\"r\",0,0,0,\"m\",true,false]"
                    .getBytes(StandardCharsets.UTF_8));
    assertThat(ResponseId.decode("resp_" + notOurs)).isEmpty();
  }
}
