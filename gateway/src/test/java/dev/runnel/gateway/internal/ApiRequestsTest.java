package dev.runnel.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What the Responses and Messages endpoints take from a body, and what they refuse. */
class ApiRequestsTest {
  private static final ModelLimits LIMITS = new ModelLimits("be brief", 256);

  private static JsonNode json(String text) throws Exception {
    return Json.MAPPER.readTree(text.replace('\'', '"'));
  }

  private static Validation.Invalid refusal(Runnable parse) {
    Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(parse::run);
    assertThat(thrown).isInstanceOf(Validation.Invalid.class);
    return (Validation.Invalid) thrown;
  }

  @Test
  void aResponsesBodyGivesItsPromptAndFlags() throws Exception {
    ResponsesRequest r =
        ResponsesRequest.parse(
            json(
                "{'input':[{'type':'message','role':'user','content':[{'type':'input_text',"
                    + "'text':'hi'}]}],'model':'m','instructions':'be brief',"
                    + "'max_output_tokens':300,'background':true,'stream':true,'user':'Ann',"
                    + "'tools':[],'metadata':{},'text':{'format':{'type':'text'}}}"),
            1000,
            LIMITS);

    assertThat(r.prompt()).isEqualTo("hi");
    assertThat(r.model()).contains("m");
    assertThat(r.background()).isTrue();
    assertThat(r.stream()).isTrue();
    assertThat(r.store()).isTrue();
    assertThat(r.user()).contains("Ann");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{'input':'x','temperature':0.2}|temperature|unsupported_parameter",
        "{'input':'x','tools':[{'type':'web_search'}]}|tools|unsupported_parameter",
        "{'input':'x','top_k':3}|top_k|unsupported_parameter",
        "{'input':'x','instructions':'be verbose'}|instructions|unsupported_parameter",
        "{'input':'x','max_output_tokens':10}|max_output_tokens|unsupported_parameter",
        "{'input':[{'role':'user','content':'a'},{'role':'user','content':'b'}]}|input|bad_input",
        "{'input':[{'role':'user','content':[{'type':'input_image'}]}]}|input|unsupported_parameter",
        "{'input':'x','background':true,'store':false}|background|bad_background",
        "{'model':'m'}|input|bad_input",
      })
  void aResponsesFieldRunnelCannotHonourIsRefusedByName(String body, String param, String code)
      throws Exception {
    JsonNode parsed = json(body);
    Validation.Invalid refused = refusal(() -> ResponsesRequest.parse(parsed, 1000, LIMITS));
    assertThat(refused.param).isEqualTo(param);
    assertThat(refused.code).isEqualTo(code);
  }

  @Test
  void aMessagesBodyGivesItsLastUserTurn() throws Exception {
    AnthropicRequest r =
        AnthropicRequest.parse(
            json(
                "{'model':'m','max_tokens':1024,'system':[{'type':'text','text':'be brief'}],"
                    + "'messages':[{'role':'user','content':'a'},{'role':'assistant','content':'b'},"
                    + "{'role':'user','content':[{'type':'text','text':'c'}]}],"
                    + "'metadata':{'user_id':'u-1'},'stream':true}"),
            1000,
            LIMITS);

    assertThat(r.prompt()).isEqualTo("c");
    assertThat(r.stream()).isTrue();
    assertThat(r.user()).contains("u-1");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{'messages':[{'role':'user','content':'a'}]}|max_tokens|bad_max_tokens",
        "{'max_tokens':0,'messages':[{'role':'user','content':'a'}]}|max_tokens|bad_max_tokens",
        "{'max_tokens':100,'messages':[{'role':'user','content':'a'}]}|max_tokens|unsupported_parameter",
        "{'max_tokens':1024,'system':'other','messages':[{'role':'user','content':'a'}]}|system|unsupported_parameter",
        "{'max_tokens':1024,'temperature':1,'messages':[{'role':'user','content':'a'}]}|temperature|unsupported_parameter",
        "{'max_tokens':1024,'messages':[{'role':'user','content':'a'},{'role':'assistant','content':'b'}]}|messages|bad_messages",
        "{'max_tokens':1024,'messages':[{'role':'user','content':[{'type':'image'}]}]}|messages|unsupported_parameter",
        "{'max_tokens':1024,'metadata':{'tier':'gold'},'messages':[{'role':'user','content':'a'}]}|metadata.tier|unsupported_parameter",
      })
  void aMessagesFieldRunnelCannotHonourIsRefusedByName(String body, String param, String code)
      throws Exception {
    JsonNode parsed = json(body);
    Validation.Invalid refused = refusal(() -> AnthropicRequest.parse(parsed, 1000, LIMITS));
    assertThat(refused.param).isEqualTo(param);
    assertThat(refused.code).isEqualTo(code);
  }

  @Test
  void withoutATokenCapNoRequestedLimitCanBeHonoured() throws Exception {
    JsonNode body = json("{'max_tokens':1024,'messages':[{'role':'user','content':'a'}]}");
    assertThatThrownBy(() -> AnthropicRequest.parse(body, 1000, new ModelLimits("", 0)))
        .hasMessageContaining("runnel.model.max.tokens is 0");
  }
}
