// Streams one chat completion that the model refuses, with the unmodified official client.
// Usage: node fail.mjs <baseURL> <session> <prompt>
// Prints one JSON line: how the client reported the failed stream.
import OpenAI from "openai";

const [baseURL, session, prompt] = process.argv.slice(2);
const client = new OpenAI({
  baseURL,
  apiKey: "not-needed",
  maxRetries: 0,
  defaultHeaders: { "X-Runnel-Session": session },
});
let text = "";
let result;
try {
  const stream = await client.chat.completions.create({
    model: "runnel-sim",
    stream: true,
    messages: [{ role: "user", content: prompt }],
  });
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? "";
  }
  result = { threw: false, text };
} catch (e) {
  result = {
    threw: true,
    apiError: e instanceof OpenAI.APIError,
    type: e.type ?? null,
    code: e.code ?? null,
    message: e.message,
  };
}
console.log(JSON.stringify(result));
