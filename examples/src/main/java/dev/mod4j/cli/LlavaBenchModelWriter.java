package dev.mod4j.cli;

import dev.mod4j.eval.TerminalProgress;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.progress.ProgressListener;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.synthetic.ModelCache;
import dev.mod4j.loaders.synthetic.RandomModelSpec;
import dev.mod4j.loaders.synthetic.RandomModelWriter;

import java.nio.file.Path;
import java.util.List;

/**
 * Writes the random-weight LLaVA-1.5 checkpoints (original layout: decoder + projector, CLIP tower beside it) that
 * {@code bench/llamacpp/llava-e2e} runs in mod4j and, converted to GGUF, in llama.cpp. Shapes: {@code tinyllava}
 * (CLIP ViT-L/14-336 + TinyLlama-1.1B's decoder, the TinyLLaVA shape), {@code llava7b} (CLIP ViT-L/14-336 + the
 * 7B decoder: LLaVA-1.5-7B's shape) and {@code tiny} (a few-layer model whose
 * vocabulary is the 512 pieces of the test tokenizer, for checking that both engines compute the same tokens).
 * The benchmark script copies the tokenizer in; this class writes weights and configs only.
 */
final class LlavaBenchModelWriter {
    private LlavaBenchModelWriter() {
    }

    static RandomModelSpec spec(String shape, DType dtype) {
        return switch (shape) {
            case "tinyllava" -> new RandomModelSpec(BenchCommand.shapeConfig("tinyllama"),
                    ClipVisionConfig.CLIP_VIT_L_14_336, CheckpointLayout.LLAVA_ORIGINAL, dtype,
                    RandomModelSpec.Routers.NONE, List.of(), 4L << 30, 17, 0.02f);
            // LLaVA-1.5-7B: CLIP ViT-L/14-336 + Vicuna-7B's decoder (LLaMA-2-7B's shape).
            case "llava7b" -> new RandomModelSpec(llava7bText(), ClipVisionConfig.CLIP_VIT_L_14_336,
                    CheckpointLayout.LLAVA_ORIGINAL, dtype, RandomModelSpec.Routers.NONE, List.of(), 4L << 30, 7,
                    0.02f);
            // Weight scale 0.08: logits far enough apart that float rounding differences rarely flip a greedy token.
            case "tiny" -> new RandomModelSpec(tinyText(), RandomModelSpec.tinyClip(64, 256, 4, 4, 112, 14),
                    CheckpointLayout.LLAVA_ORIGINAL, dtype, RandomModelSpec.Routers.NONE, List.of(), 4L << 30, 2024,
                    0.08f);
            default -> throw new IllegalArgumentException("unknown LLaVA bench shape '" + shape
                    + "' (known: tinyllava, llava7b, tiny)");
        };
    }

    private static LlamaConfig llava7bText() {
        return new LlamaConfig(32000, 4096, 11008, 32, 32, 32, 128, "silu", 4096, 1e-5, 10000.0, null, false, 1,
                List.of(2), null, false, false, "float16");
    }

    private static LlamaConfig tinyText() {
        LlamaConfig t = RandomModelSpec.tinyLlama(512, 128, 344, 4, 4, 2);
        return new LlamaConfig(t.vocabSize(), t.hiddenSize(), t.intermediateSize(), t.numHiddenLayers(),
                t.numAttentionHeads(), t.numKeyValueHeads(), t.headDim(), t.hiddenAct(), 2048, t.rmsNormEps(),
                t.ropeTheta(), t.ropeScaling(), t.tieWordEmbeddings(), t.bosTokenId(), t.eosTokenIds(),
                t.padTokenId(), t.attentionBias(), t.mlpBias(), t.torchDtype());
    }

    static String name(String shape, DType dtype) {
        return "llava-bench-" + shape + "-" + dtype.name().toLowerCase();
    }

    /** Arguments: cache root, shape name, dtype name. Prints the model's directory. */
    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: LlavaBenchModelWriter CACHE_ROOT tinyllava|llava7b|tiny F32|F16|BF16");
            System.exit(2);
        }
        Path root = Path.of(args[0]);
        DType dtype = DType.valueOf(args[2]);
        RandomModelSpec spec = spec(args[1], dtype);
        String name = name(args[1], dtype);
        // A progress bar while writing, on the terminal that the script names (its standard error is filtered).
        Path dir = ScopedValue.where(ProgressListener.CURRENT, TerminalProgress.forStandardError(null)).call(() ->
                ModelCache.ensure(root, name, staging -> RandomModelWriter.write(spec, staging)));
        System.out.println(dir);
    }
}
