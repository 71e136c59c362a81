package dev.runnel.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.schemas.PromptTool;
import dev.runnel.schemas.PromptToolResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What a Chat Completions body's client tools and tool results become, and what is refused. */
class ChatToolsTest {
  private static final String LOOKUP =
      "{'type':'function','function':{'name':'lookup','description':'Looks a name up',"
          + "'parameters':{'type':'object','properties':{'name':{'type':'string'}}}}}";

  private static JsonNode json(String text) throws Exception {
    return Json.MAPPER.readTree(text.replace('\'', '"'));
  }

  private static ChatCompletionRequest parse(String body) throws Exception {
    return ChatCompletionRequest.parse(json(body), 1000);
  }

  private static Validation.Invalid refusal(String body) throws Exception {
    JsonNode parsed = json(body);
    Throwable thrown = catchThrowable(() -> ChatCompletionRequest.parse(parsed, 1000));
    assertThat(thrown).isInstanceOf(Validation.Invalid.class);
    return (Validation.Invalid) thrown;
  }

  @Test
  void functionToolsBecomeThePromptsTools() throws Exception {
    ChatCompletionRequest r =
        parse(
            "{'tools':["
                + LOOKUP
                + ",{'type':'function','function':{'name':'clock','strict':false}}],"
                + "'tool_choice':'auto','parallel_tool_calls':true,"
                + "'messages':[{'role':'user','content':'who is Ada'}]}");

    assertThat(r.prompt()).isEqualTo("who is Ada");
    assertThat(r.tools())
        .containsExactly(
            new PromptTool(
                "lookup",
                "Looks a name up",
                "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}}}"),
            new PromptTool("clock", "", "{\"type\":\"object\",\"properties\":{}}"));
    assertThat(r.toolResults()).isEmpty();
  }

  @Test
  void toolChoiceNoneOffersNoTool() throws Exception {
    ChatCompletionRequest r =
        parse(
            "{'tools':["
                + LOOKUP
                + "],'tool_choice':'none','parallel_tool_calls':false,"
                + "'messages':[{'role':'user','content':'hi'}]}");

    assertThat(r.tools()).isEmpty();
  }

  @Test
  void theToolMessagesAfterTheCallsAreThePromptsToolResults() throws Exception {
    ChatCompletionRequest r =
        parse(
            "{'tools':["
                + LOOKUP
                + "],'messages':[{'role':'user','content':'who is Ada'},"
                + "{'role':'assistant','content':null,'tool_calls':["
                + "{'id':'call_1','type':'function','function':{'name':'lookup','arguments':'{}'}},"
                + "{'id':'call_2','type':'function','function':{'name':'lookup','arguments':'{}'}}]},"
                + "{'role':'tool','tool_call_id':'call_1','content':'born 1815'},"
                + "{'role':'tool','tool_call_id':'call_2','content':[{'type':'text','text':'a'},"
                + "{'type':'text','text':'b'}]}]}");

    assertThat(r.prompt()).isEmpty();
    assertThat(r.toolResults())
        .containsExactly(
            new PromptToolResult("call_1", "born 1815"), new PromptToolResult("call_2", "ab"));
  }

  @Test
  void onlyTheToolMessagesOfTheNewTurnMaySuffice() throws Exception {
    ChatCompletionRequest r =
        parse("{'messages':[{'role':'tool','tool_call_id':'call_1','content':'42'}]}");

    assertThat(r.toolResults()).containsExactly(new PromptToolResult("call_1", "42"));
  }

  @Test
  void anEarlierRoundsResultsAreNotSentAgain() throws Exception {
    ChatCompletionRequest r =
        parse(
            "{'messages':[{'role':'user','content':'q'},{'role':'assistant','tool_calls':["
                + "{'id':'call_1','type':'function','function':{'name':'f','arguments':'{}'}}]},"
                + "{'role':'tool','tool_call_id':'call_1','content':'42'},"
                + "{'role':'assistant','content':'It is 42.'},{'role':'user','content':'thanks'}]}");

    assertThat(r.prompt()).isEqualTo("thanks");
    assertThat(r.toolResults()).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{'tools':{}}|tools|bad_tools",
        "{'tools':['lookup']}|tools[0]|bad_tools",
        "{'tools':[{'type':'custom','custom':{'name':'f'}}]}|tools[0].type|unsupported_parameter",
        "{'tools':[{'function':{'name':'f'}}]}|tools[0].type|unsupported_parameter",
        "{'tools':[{'type':'function'}]}|tools[0].function|bad_tools",
        "{'tools':[{'type':'function','function':{}}]}|tools[0].function.name|bad_tools",
        "{'tools':[{'type':'function','function':{'name':'a b'}}]}|tools[0].function.name|bad_tools",
        "{'tools':[{'type':'function','function':{'name':'f','parameters':{'type':'string'}}}]}"
            + "|tools[0].function.parameters|bad_tools",
        "{'tools':[{'type':'function','function':{'name':'f','description':3}}]}"
            + "|tools[0].function.description|bad_tools",
        "{'tools':[{'type':'function','function':{'name':'f','strict':true}}]}"
            + "|tools[0].function.strict|unsupported_parameter",
        "{'tools':[{'type':'function','function':{'name':'f','extra':1}}]}"
            + "|tools[0].function.extra|unsupported_parameter",
        "{'tools':[{'type':'function','function':{'name':'f'},'cache':true}]}"
            + "|tools[0].cache|unsupported_parameter",
        "{'tools':[{'type':'function','function':{'name':'f'}},"
            + "{'type':'function','function':{'name':'f'}}]}|tools[1].function.name|bad_tools",
        "{'tool_choice':'required'}|tool_choice|unsupported_parameter",
        "{'tool_choice':{'type':'function','function':{'name':'f'}}}|tool_choice"
            + "|unsupported_parameter",
        "{'tools':[{'type':'function','function':{'name':'f'}}],'parallel_tool_calls':false}"
            + "|parallel_tool_calls|unsupported_parameter",
        "{'parallel_tool_calls':'yes'}|parallel_tool_calls|bad_parallel_tool_calls",
        "{'functions':[{'name':'f'}]}|functions|unsupported_parameter",
      })
  void aToolFieldRunnelCannotHonourIsRefusedByName(String fields, String param, String code)
      throws Exception {
    String body =
        fields.substring(0, fields.length() - 1) + ",'messages':[{'role':'user','content':'hi'}]}";

    Validation.Invalid refused = refusal(body);

    assertThat(refused.code).isEqualTo(code);
    assertThat(refused.param).isEqualTo(param);
    assertThat(refused.getMessage()).contains("'" + param + "'");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        // a result for a call the assistant message did not ask for
        "{'role':'tool','tool_call_id':'call_9','content':'x'}|messages[2].tool_call_id",
        // a result naming no call
        "{'role':'tool','content':'x'}|messages[2].tool_call_id",
        // a result after the next user message
        "{'role':'user','content':'and?'},{'role':'tool','tool_call_id':'call_1','content':'x'}"
            + "|messages[3]",
        // a call answered twice
        "{'role':'tool','tool_call_id':'call_1','content':'x'},"
            + "{'role':'tool','tool_call_id':'call_1','content':'y'}|messages[3].tool_call_id",
      })
  void anInconsistentHistoryIsRefusedNamingTheMessage(String tail, String param) throws Exception {
    String body =
        "{'messages':[{'role':'user','content':'q'},{'role':'assistant','tool_calls':["
            + "{'id':'call_1','type':'function','function':{'name':'f','arguments':'{}'}}]},"
            + tail
            + "]}";

    Validation.Invalid refused = refusal(body);

    assertThat(refused.code).isEqualTo("bad_messages");
    assertThat(refused.param).isEqualTo(param);
  }

  @Test
  void aCallLeftWithoutItsResultIsRefused() throws Exception {
    Validation.Invalid refused =
        refusal(
            "{'messages':[{'role':'user','content':'q'},{'role':'assistant','tool_calls':["
                + "{'id':'call_1','type':'function','function':{'name':'f','arguments':'{}'}},"
                + "{'id':'call_2','type':'function','function':{'name':'f','arguments':'{}'}}]},"
                + "{'role':'tool','tool_call_id':'call_1','content':'x'}]}");

    assertThat(refused.code).isEqualTo("bad_messages");
    assertThat(refused.getMessage()).contains("call_2");
  }
}
