package dev.mod4j.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The response bodies of OpenAI's chat-completions API (completion, stream chunk, model list, error object). */
final class OpenAiJson {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private OpenAiJson() {
    }

    static ObjectNode error(ApiError e) {
        ObjectNode body = MAPPER.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("message", e.getMessage());
        error.put("type", e.type());
        error.put("param", e.param());
        error.put("code", e.code());
        return body;
    }

    static ObjectNode models(String modelId, long created) {
        ObjectNode body = MAPPER.createObjectNode();
        body.put("object", "list");
        ObjectNode model = body.putArray("data").addObject();
        model.put("id", modelId);
        model.put("object", "model");
        model.put("created", created);
        model.put("owned_by", "mod4j");
        return body;
    }

    /** A non-streamed answer. */
    static ObjectNode completion(String id, long created, String modelId, CompletionEngine.Completion c) {
        ObjectNode body = header(id, created, modelId, "chat.completion");
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", c.text());
        choice.putNull("logprobs");
        choice.put("finish_reason", c.finish().openAiName);
        body.set("usage", usage(c));
        body.set("mod4j", stats(c.stats()));
        return body;
    }

    /** A stream chunk with a delta ({@code role} in the first, {@code content} after), or the last, with a reason. */
    static ObjectNode chunk(String id, long created, String modelId, String role, String content, String finishReason) {
        ObjectNode body = header(id, created, modelId, "chat.completion.chunk");
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        if (role != null) {
            delta.put("role", role);
        }
        if (content != null) {
            delta.put("content", content);
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        return body;
    }

    /** {@code stream_options.include_usage}'s last chunk: no choices, the usage (and mod4j's statistics). */
    static ObjectNode usageChunk(String id, long created, String modelId, CompletionEngine.Completion c) {
        ObjectNode body = header(id, created, modelId, "chat.completion.chunk");
        body.putArray("choices");
        body.set("usage", usage(c));
        body.set("mod4j", stats(c.stats()));
        return body;
    }

    static ObjectNode usage(CompletionEngine.Completion c) {
        ObjectNode usage = MAPPER.createObjectNode();
        usage.put("prompt_tokens", c.promptTokens());
        usage.put("completion_tokens", c.completionTokens());
        usage.put("total_tokens", c.promptTokens() + c.completionTokens());
        return usage;
    }

    static ObjectNode stats(CompletionEngine.Stats s) {
        ObjectNode stats = MAPPER.createObjectNode();
        stats.put("schedule", s.schedule());
        ArrayNode perLayer = stats.putArray("image_tokens_per_layer");
        for (int n : s.imageTokensPerLayer()) {
            perLayer.add(n);
        }
        stats.put("prefill_macs", s.prefillMacs());
        stats.put("prefill_flops_ratio", s.prefillFlopsRatio());
        stats.put("kv_cache_bytes", s.kvCacheBytes());
        stats.put("prefill_ms", s.prefillMillis());
        stats.put("decode_tokens_per_second", s.decodeTokensPerSecond());
        return stats;
    }

    private static ObjectNode header(String id, long created, String modelId, String object) {
        ObjectNode body = MAPPER.createObjectNode();
        body.put("id", id);
        body.put("object", object);
        body.put("created", created);
        body.put("model", modelId);
        return body;
    }
}
