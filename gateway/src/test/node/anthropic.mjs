// The Runnel gateway's Anthropic Messages API with the unmodified official client: a whole message,
// a streamed one (raw events), the SDK's stream helper, and a request without max_tokens.
// Usage: node anthropic.mjs <baseURL> <session> <prompt>
// Prints one JSON line.
import Anthropic from "@anthropic-ai/sdk";

const [baseURL, session, prompt] = process.argv.slice(2);
const client = new Anthropic({
  baseURL,
  apiKey: "not-needed",
  maxRetries: 0,
  defaultHeaders: { "X-Runnel-Session": session },
});
const whole = await client.messages.create({
  model: "runnel-sim",
  max_tokens: 1024,
  messages: [{ role: "user", content: prompt }],
});
const stream = await client.messages.create({
  model: "runnel-sim",
  max_tokens: 1024,
  stream: true,
  messages: [{ role: "user", content: [{ type: "text", text: prompt + " again" }] }],
});
const events = [];
let text = "";
let stopReason = null;
let outputTokens = null;
for await (const event of stream) {
  events.push(event.type);
  if (event.type === "content_block_delta") text += event.delta.text;
  if (event.type === "message_delta") {
    stopReason = event.delta.stop_reason;
    outputTokens = event.usage.output_tokens;
  }
}
const helper = await client.messages
  .stream({
    model: "runnel-sim",
    max_tokens: 1024,
    messages: [{ role: "user", content: prompt + " once more" }],
  })
  .finalMessage();
let refused = null;
try {
  await client.messages.create({
    model: "runnel-sim",
    messages: [{ role: "user", content: prompt }],
  });
} catch (e) {
  refused = { status: e.status, type: e.error?.error?.type, message: e.error?.error?.message };
}
console.log(
  JSON.stringify({
    wholeText: whole.content[0].text,
    wholeStop: whole.stop_reason,
    wholeModel: whole.model,
    wholeOutputTokens: whole.usage.output_tokens,
    events,
    text,
    stopReason,
    outputTokens,
    helperText: helper.content[0].text,
    refused,
  }),
);
