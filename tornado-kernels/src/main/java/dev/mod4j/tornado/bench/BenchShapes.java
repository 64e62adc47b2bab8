package dev.mod4j.tornado.bench;

import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.synthetic.RandomModelSpec;

import java.util.List;

/**
 * The shapes the GPU benchmark runs: the real ones (TinyLlama-1.1B, LLaVA-1.5-7B's decoder with a chosen number of
 * its 32 layers, CLIP ViT-L/14-336) and, for {@code --smoke}, small ones that take the same code paths in a minute
 * on PoCL. The real decoder configs are {@code mod4j bench}'s and {@code bench-schedules}' shapes.
 */
record BenchShapes(Decoder small, Decoder large, ClipVisionConfig tower, int imageTokens, int textTokens) {

    /** A decoder shape with the name reports use. */
    record Decoder(String name, LlamaConfig config) {
    }

    static BenchShapes real(int llava7bLayers) {
        LlamaConfig tinyllama = new LlamaConfig(32000, 2048, 5632, 22, 32, 4, 64, "silu", 2048, 1e-5, 10000.0, null,
                false, 1, List.of(2), null, false, false, "float16");
        LlamaConfig llava7b = new LlamaConfig(32000, 4096, 11008, llava7bLayers, 32, 32, 128, "silu", 4096, 1e-5,
                10000.0, null, false, 1, List.of(2), null, false, false, "float16");
        return new BenchShapes(new Decoder("tinyllama", tinyllama),
                new Decoder("llava7b-" + llava7bLayers + "layers", llava7b), ClipVisionConfig.CLIP_VIT_L_14_336,
                576, 60);
    }

    /** Small shapes (same head structure: GQA for the first, MHA for the second) for a run on PoCL. */
    static BenchShapes smoke(int layers) {
        LlamaConfig small = RandomModelSpec.tinyLlama(512, 128, 352, 2, 4, 2);
        LlamaConfig large = RandomModelSpec.tinyLlama(512, 256, 688, layers, 4, 4);
        return new BenchShapes(new Decoder("smoke-gqa", withContext(small)),
                new Decoder("smoke-mha-" + layers + "layers", withContext(large)),
                RandomModelSpec.tinyClip(64, 256, 3, 4, 112, 14), 64, 20);
    }

    private static LlamaConfig withContext(LlamaConfig t) {
        return new LlamaConfig(t.vocabSize(), t.hiddenSize(), t.intermediateSize(), t.numHiddenLayers(),
                t.numAttentionHeads(), t.numKeyValueHeads(), t.headDim(), t.hiddenAct(), 2048, t.rmsNormEps(),
                t.ropeTheta(), t.ropeScaling(), t.tieWordEmbeddings(), t.bosTokenId(), t.eosTokenIds(),
                t.padTokenId(), t.attentionBias(), t.mlpBias(), "float16");
    }
}
