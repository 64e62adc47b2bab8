// OpenAI's official Node client against mod4j serve (run by OpenAiNodeClientTest): a two-turn conversation with a
// system message and an image in the first user turn, answered as JSON and streamed, printed as one JSON line.
import OpenAI from 'openai';
import { readFileSync } from 'node:fs';

const [baseURL, apiKey, requestFile] = process.argv.slice(2);
const { image, system, firstQuestion, firstAnswer, question, schedule, maxTokens } =
  JSON.parse(readFileSync(requestFile, 'utf8'));
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const request = {
  model: 'p-mod-tiny',
  messages: [
    { role: 'system', content: system },
    { role: 'user', content: [
      { type: 'image_url', image_url: { url: image } },
      { type: 'text', text: firstQuestion },
    ] },
    { role: 'assistant', content: firstAnswer },
    { role: 'user', content: question },
  ],
  max_tokens: maxTokens,
  temperature: 0,
  mod4j: { schedule },
};
const out = {};

const completion = await client.chat.completions.create(request);
out.text = completion.choices[0].message.content;
out.usage = completion.usage;

const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
out.streamText = '';
for await (const chunk of stream) {
  for (const choice of chunk.choices) {
    out.streamText += choice.delta?.content ?? '';
  }
  if (chunk.usage) out.streamUsage = chunk.usage;
}
console.log(JSON.stringify(out));
