// OpenAI's official Node client against mod4j serve (run by OpenAiNodeClientTest): one answer as JSON, the same
// streamed, a bad schedule's error and the model list, printed as one JSON line.
import OpenAI from 'openai';
import { readFileSync } from 'node:fs';

const [baseURL, apiKey, requestFile] = process.argv.slice(2);
const { image, question, schedule, maxTokens } = JSON.parse(readFileSync(requestFile, 'utf8'));
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const request = {
  model: 'p-mod-tiny',
  messages: [{ role: 'user', content: [
    { type: 'image_url', image_url: { url: image } },
    { type: 'text', text: question },
  ] }],
  max_tokens: maxTokens,
  temperature: 0,
  mod4j: { schedule },
};
const out = {};

const completion = await client.chat.completions.create(request);
out.text = completion.choices[0].message.content;
out.finish = completion.choices[0].finish_reason;
out.usage = completion.usage;
out.mod4j = completion.mod4j;

const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
out.streamText = '';
for await (const chunk of stream) {
  for (const choice of chunk.choices) {
    out.streamText += choice.delta?.content ?? '';
    if (choice.finish_reason) out.streamFinish = choice.finish_reason;
  }
  if (chunk.usage) out.streamUsage = chunk.usage;
}

try {
  await client.chat.completions.create({ ...request, mod4j: { schedule: 'warp' } });
  out.error = null;
} catch (e) {
  out.error = { status: e.status, type: e.type, param: e.param, message: e.message };
}

out.models = (await client.models.list()).data.map((m) => m.id);
console.log(JSON.stringify(out));
