// Streams one chat completion through the Runnel gateway with the unmodified official client.
// Usage: node stream.mjs <baseURL> <session> <prompt>
// Prints one JSON line: the streamed text, its chunk count and finish reason, the whole reply's text
// and model, and the ids client.models.list() returned.
import OpenAI from "openai";

const [baseURL, session, prompt] = process.argv.slice(2);
// The session is named by Runnel's header; `user` is the end user's id, as in OpenAI's API.
const client = new OpenAI({
  baseURL,
  apiKey: "not-needed",
  maxRetries: 0,
  defaultHeaders: { "X-Runnel-Session": session },
});
const models = [];
for await (const model of client.models.list()) models.push(model.id);
const stream = await client.chat.completions.create({
  model: "runnel-sim",
  stream: true,
  user: "John Smith",
  messages: [{ role: "user", content: prompt }],
});
let text = "";
let chunks = 0;
let finish = null;
for await (const chunk of stream) {
  chunks++;
  const choice = chunk.choices[0];
  if (choice?.delta?.content) text += choice.delta.content;
  if (choice?.finish_reason) finish = choice.finish_reason;
}
const whole = await client.chat.completions.create({
  user: "John Smith",
  messages: [{ role: "user", content: prompt + " again" }],
});
console.log(
  JSON.stringify({
    text,
    chunks,
    finish,
    wholeText: whole.choices[0].message.content,
    wholeModel: whole.model,
    models,
  }),
);
