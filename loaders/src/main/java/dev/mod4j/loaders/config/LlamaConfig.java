package dev.mod4j.loaders.config;

import java.util.List;

/**
 * A LLaMA/Vicuna decoder's configuration, with the checkpoint's own field names in camel case.
 * Absent fields take transformers' {@code LlamaConfig} defaults (see README, "Config defaults"); a Mistral decoder
 * ({@code model_type} {@code mistral}, as in llava-hf's {@code llava-v1.6-mistral-7b-hf} text_config, or
 * {@code llava_mistral}, LLaVA's own {@code LlavaMistralForCausalLM}) takes {@code MistralConfig}'s instead: the
 * same architecture, with grouped-query defaults and a sliding attention window.
 *
 * @param ropeScaling null when the config has none
 * @param slidingWindow Mistral's attention window (keys older than this many positions are not attended); null
 *                    when the decoder has none ({@code sliding_window: null}, as llava-v1.6-mistral's Mistral v0.2
 *                    writes it, or a LLaMA)
 * @param padTokenId  null when the config has none
 * @param torchDtype  the dtype the checkpoint was saved in ("float16", "bfloat16", ...), null if not stated
 */
public record LlamaConfig(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
                          int numAttentionHeads, int numKeyValueHeads, int headDim, String hiddenAct,
                          int maxPositionEmbeddings, double rmsNormEps, double ropeTheta, RopeScaling ropeScaling,
                          boolean tieWordEmbeddings, int bosTokenId, List<Integer> eosTokenIds, Integer padTokenId,
                          boolean attentionBias, boolean mlpBias, String torchDtype, Integer slidingWindow) {

    /** Bounds of the size-like fields, far above every released model (Llama 3.1 405B: 16384 wide, 126 layers). */
    public static final int MAX_VOCAB_SIZE = 1 << 22;
    public static final int MAX_HIDDEN_SIZE = 1 << 16;
    public static final int MAX_INTERMEDIATE_SIZE = 1 << 18;
    public static final int MAX_LAYERS = 1024;
    public static final int MAX_HEADS = 1024;
    public static final int MAX_HEAD_DIM = 4096;
    public static final int MAX_POSITION_EMBEDDINGS = 1 << 24;

    public LlamaConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** A decoder without a sliding window (LLaMA). */
    public LlamaConfig(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
                       int numKeyValueHeads, int headDim, String hiddenAct, int maxPositionEmbeddings,
                       double rmsNormEps, double ropeTheta, RopeScaling ropeScaling, boolean tieWordEmbeddings,
                       int bosTokenId, List<Integer> eosTokenIds, Integer padTokenId, boolean attentionBias,
                       boolean mlpBias, String torchDtype) {
        this(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads, headDim,
                hiddenAct, maxPositionEmbeddings, rmsNormEps, ropeTheta, ropeScaling, tieWordEmbeddings, bosTokenId,
                eosTokenIds, padTokenId, attentionBias, mlpBias, torchDtype, null);
    }

    /** Whether {@code model_type} names a Mistral decoder. */
    static boolean isMistral(String modelType) {
        return "mistral".equals(modelType) || "llava_mistral".equals(modelType);
    }

    /** Query heads per key/value head (1 without grouped-query attention). */
    public int queryGroupSize() {
        return numAttentionHeads / numKeyValueHeads;
    }

    public int kvDim() {
        return numKeyValueHeads * headDim;
    }

    public int qDim() {
        return numAttentionHeads * headDim;
    }

    static LlamaConfig read(ConfigObject c) {
        // MistralConfig's defaults (transformers' configuration_mistral.py): 14336 MLP, 8 KV heads, 4096 * 32
        // positions, window 4096; the rest as LlamaConfig's.
        boolean mistral = isMistral(c.string("model_type", null));
        int hidden = c.boundedInt("hidden_size", 4096, MAX_HIDDEN_SIZE);
        int heads = c.boundedInt("num_attention_heads", 32, MAX_HEADS);
        int kvHeads = c.boundedInt("num_key_value_heads", mistral ? 8 : heads, MAX_HEADS);
        Integer headDimField = c.intOrNull("head_dim");
        if (headDimField == null && hidden % heads != 0) {
            throw new ConfigException(c.where("hidden_size"), "hidden_size " + hidden
                    + " is not divisible by num_attention_heads " + heads + " (and no head_dim is given)");
        }
        int headDim = headDimField != null ? headDimField : hidden / heads;
        if (headDim <= 0 || headDim % 2 != 0 || headDim > MAX_HEAD_DIM) {
            throw new ConfigException(c.where("head_dim"), "head dimension must be a positive even number for rotary"
                    + " embeddings, at most " + MAX_HEAD_DIM + ", found " + headDim);
        }
        if (heads % kvHeads != 0) {
            throw new ConfigException(c.where("num_key_value_heads"), "num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        double ropeTheta = c.doubleValue("rope_theta", 10000.0);
        RopeScaling scaling = readRopeScaling(c.object("rope_scaling"));
        // transformers 5 moved rope settings into rope_parameters; read them when present.
        ConfigObject ropeParameters = c.object("rope_parameters");
        if (ropeParameters != null) {
            ropeTheta = ropeParameters.doubleValue("rope_theta", ropeTheta);
            if (scaling == null) {
                scaling = readRopeScaling(ropeParameters);
            }
        }
        if (!(ropeTheta > 0)) {
            throw new ConfigException(c.where("rope_theta"), "must be positive, found " + ropeTheta);
        }
        double eps = c.doubleValue("rms_norm_eps", 1e-6);
        if (!(eps > 0)) {
            throw new ConfigException(c.where("rms_norm_eps"), "must be positive, found " + eps);
        }
        String dtype = c.string("torch_dtype", null);
        if (dtype == null) {
            dtype = c.string("dtype", null);
        }
        return new LlamaConfig(
                c.boundedInt("vocab_size", 32000, MAX_VOCAB_SIZE),
                hidden,
                c.boundedInt("intermediate_size", mistral ? 14336 : 11008, MAX_INTERMEDIATE_SIZE),
                c.boundedInt("num_hidden_layers", 32, MAX_LAYERS),
                heads, kvHeads, headDim,
                Activations.require(c, "hidden_act", "silu"),
                c.boundedInt("max_position_embeddings", mistral ? 4096 * 32 : 2048, MAX_POSITION_EMBEDDINGS),
                eps, ropeTheta, scaling,
                c.booleanValue("tie_word_embeddings", false),
                c.intValue("bos_token_id", 1),
                c.intList("eos_token_id", List.of(2)),
                c.intOrNull("pad_token_id"),
                c.booleanValue("attention_bias", false),
                c.booleanValue("mlp_bias", false),
                dtype, slidingWindow(c, mistral));
    }

    private static Integer slidingWindow(ConfigObject c, boolean mistral) {
        if (!mistral) {
            return null;
        }
        if (c.writtenAsNull("sliding_window")) {
            return null; // written as null: full attention
        }
        return c.boundedInt("sliding_window", 4096, MAX_POSITION_EMBEDDINGS);
    }

    private static RopeScaling readRopeScaling(ConfigObject r) {
        if (r == null) {
            return null;
        }
        String type = r.string("rope_type", null);
        String legacyType = r.string("type", null);
        if (type == null) {
            type = legacyType;
        }
        if (type == null) {
            throw new ConfigException(r.where("rope_type"), "rope scaling needs a 'type' or 'rope_type'");
        }
        if (type.equals("default")) {
            return null;
        }
        double factor = r.doubleValue("factor", 1.0);
        if (!(factor > 0)) {
            throw new ConfigException(r.where("factor"), "must be positive, found " + factor);
        }
        return new RopeScaling(type, factor, r.intOrNull("original_max_position_embeddings"),
                r.doubleValue("low_freq_factor", 1.0), r.doubleValue("high_freq_factor", 4.0));
    }
}
