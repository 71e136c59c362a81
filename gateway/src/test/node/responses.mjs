// A two-turn conversation through the Runnel gateway's Responses API with the unmodified official
// client: a whole response, then a streamed one continuing it with previous_response_id (its prompt
// quotes the first reply), then responses.retrieve of the second, then a refused parameter.
// Usage: node responses.mjs <baseURL> <prompt>
// Prints one JSON line.
import OpenAI from "openai";

const [baseURL, prompt] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "not-needed", maxRetries: 0 });
const first = await client.responses.create({ model: "runnel-sim", input: prompt });
const secondPrompt = `What follows "${first.output_text}"?`;
const stream = await client.responses.create({
  model: "runnel-sim",
  input: [{ role: "user", content: secondPrompt }],
  previous_response_id: first.id,
  stream: true,
});
const types = [];
const sequences = [];
let text = "";
let completed = null;
for await (const event of stream) {
  types.push(event.type);
  sequences.push(event.sequence_number);
  if (event.type === "response.output_text.delta") text += event.delta;
  if (event.type === "response.completed") completed = event.response;
}
const retrieved = await client.responses.retrieve(completed.id);
let refused = null;
try {
  await client.responses.create({ input: prompt, temperature: 0.2 });
} catch (e) {
  refused = { status: e.status, param: e.param, code: e.code, type: e.type };
}
console.log(
  JSON.stringify({
    firstId: first.id,
    firstStatus: first.status,
    firstText: first.output_text,
    secondPrompt,
    secondText: text,
    types,
    sequences,
    completedText: completed.output[0].content[0].text,
    retrievedStatus: retrieved.status,
    retrievedText: retrieved.output.map((o) => o.content.map((c) => c.text).join("")).join(""),
    retrievedOutputTokens: retrieved.usage.output_tokens,
    refused,
  }),
);
