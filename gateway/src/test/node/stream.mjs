// Streams one chat completion through the Runnel gateway with the unmodified official client.
// Usage: node stream.mjs <baseURL> <session> <prompt>
// Prints the streamed text as one JSON line: {"text": ..., "chunks": n, "finish": ...}.
import OpenAI from "openai";

const [baseURL, session, prompt] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "not-needed", maxRetries: 0 });
const stream = await client.chat.completions.create({
  model: "runnel-sim",
  stream: true,
  user: session,
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
  model: "runnel-sim",
  user: session,
  messages: [{ role: "user", content: prompt + " again" }],
});
console.log(JSON.stringify({ text, chunks, finish, wholeText: whole.choices[0].message.content }));
