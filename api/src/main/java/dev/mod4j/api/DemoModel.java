package dev.mod4j.api;

import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.synthetic.ModelCache;
import dev.mod4j.loaders.synthetic.RandomModelSpec;
import dev.mod4j.loaders.synthetic.RandomModelWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The offline demo model: a small LLaVA-1.5-shaped model (original layout, CLIP tower beside it, γ-MoD routers)
 * with random weights, written once into a cache directory. It is untrained: its answers are noise.
 */
final class DemoModel {
    static final String VERSION = "v2";

    private DemoModel() {
    }

    static RandomModelSpec spec() {
        var text = RandomModelSpec.tinyLlama(608, 128, 344, 8, 4, 2);
        var vision = RandomModelSpec.tinyClip(64, 256, 4, 4, 112, 14); // 8×8 = 64 image tokens
        return new RandomModelSpec(text, vision, CheckpointLayout.LLAVA_ORIGINAL, DType.F32,
                RandomModelSpec.Routers.GAMMA_MOD, IntStream.range(3, 7).boxed().toList(), Long.MAX_VALUE, 2024, 0.08f);
    }

    /** The demo model's directory under {@code cacheRoot}, written there first if it is not there yet. */
    static Path ensure(Path cacheRoot) {
        return ModelCache.ensure(cacheRoot, "demo-llava-" + VERSION, staging -> {
            RandomModelWriter.write(spec(), staging);
            for (String asset : new String[]{"tokenizer.json", "tokenizer_config.json"}) {
                try (var in = DemoModel.class.getResourceAsStream("demo/" + asset)) {
                    Files.copy(in, staging.resolve(asset));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        });
    }

    static Path defaultCacheRoot() {
        return ModelCache.defaultRoot();
    }

    static List<String> realCheckpointHints() {
        return List.of(
                "llava-hf/llava-1.5-7b-hf            (llava-hf layout; dense, FastV and PyramidDrop schedules)",
                "liuhaotian/llava-v1.5-7b + openai/clip-vit-large-patch14-336   (original layout)",
                "YaxinLuo/Gamma-MoD-llava-hr-7b-0.34 (γ-MoD routers)",
                "MCG-NJU/p-MoD-LLaVA-v1.5-7B         (p-MoD routers)");
    }
}
