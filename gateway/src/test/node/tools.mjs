// Client-side tools through the Runnel gateway with the unmodified official client: a streamed
// completion offering a tool, whose reply asks for it (assembled by the SDK's own stream helper,
// which checks every call's id, type, name and arguments), then the follow-up with the tool's
// result as a `role: tool` message, whose reply is text.
// Usage: node tools.mjs <baseURL> <session> <prompt> <tool result>
// Prints one JSON line: the calls, how their first deltas looked, the finish reasons, the answer.
import OpenAI from "openai";

const [baseURL, session, prompt, result] = process.argv.slice(2);
const client = new OpenAI({
  baseURL,
  apiKey: "not-needed",
  maxRetries: 0,
  defaultHeaders: { "X-Runnel-Session": session },
});
const tools = [
  {
    type: "function",
    function: {
      name: "lookup",
      description: "Looks a name up",
      parameters: {
        type: "object",
        properties: { name: { type: "string" } },
        required: ["name"],
      },
    },
  },
];
const messages = [{ role: "user", content: prompt }];
const firstDeltas = {};
let toolChunks = 0;
const stream = client.chat.completions.stream({
  model: "runnel-sim",
  stream: true,
  tools,
  tool_choice: "auto",
  parallel_tool_calls: true,
  messages,
});
stream.on("chunk", (chunk) => {
  for (const call of chunk.choices[0]?.delta?.tool_calls ?? []) {
    toolChunks++;
    firstDeltas[call.index] ??= {
      id: call.id ?? null,
      type: call.type ?? null,
      name: call.function?.name ?? null,
    };
  }
});
const asked = await stream.finalChatCompletion();
const message = asked.choices[0].message;
messages.push(message);
for (const call of message.tool_calls) {
  messages.push({ role: "tool", tool_call_id: call.id, content: result });
}
const follow = await client.chat.completions.create({
  model: "runnel-sim",
  stream: true,
  tools,
  messages,
});
let answer = "";
let answerFinish = null;
for await (const chunk of follow) {
  const choice = chunk.choices[0];
  if (choice?.delta?.content) answer += choice.delta.content;
  if (choice?.finish_reason) answerFinish = choice.finish_reason;
}
console.log(
  JSON.stringify({
    calls: message.tool_calls.map((c) => ({
      id: c.id,
      type: c.type,
      name: c.function.name,
      arguments: c.function.arguments,
    })),
    content: message.content,
    firstDeltas,
    toolChunks,
    finish: asked.choices[0].finish_reason,
    answer,
    answerFinish,
  }),
);
