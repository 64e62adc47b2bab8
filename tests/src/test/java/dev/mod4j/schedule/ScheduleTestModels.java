package dev.mod4j.schedule;

import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.synthetic.RandomModelSpec;
import dev.mod4j.loaders.synthetic.RandomModelWriter;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.prompt.PromptRows;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/** Small random LLaVA models with router tensors, written to disk in the original layout, and a prompt for them. */
final class ScheduleTestModels {
    static final int LAYERS = 6;
    /** CLIP 32 px images with 8 px patches: 16 image tokens. */
    static final int IMAGE_TOKENS = 16;

    private ScheduleTestModels() {
    }

    static Path write(Path dir, RandomModelSpec.Routers routers) {
        var text = RandomModelSpec.tinyLlama(128, 48, 96, LAYERS, 4, 2);
        var vision = RandomModelSpec.tinyClip(24, 48, 2, 2, 32, 8);
        List<Integer> modLayers = routers == RandomModelSpec.Routers.GAMMA_MOD
                ? IntStream.range(1, LAYERS - 1).boxed().toList() : IntStream.range(2, LAYERS).boxed().toList();
        RandomModelWriter.write(new RandomModelSpec(text, vision, CheckpointLayout.LLAVA_ORIGINAL, DType.F32, routers,
                modLayers, Long.MAX_VALUE, 99, 0.15f), dir);
        return dir;
    }

    /** BOS, a few system tokens, the image, a question: SYSTEM / IMAGE / INSTRUCTION roles. */
    static PromptRows prompt(MultimodalModel model) {
        int[] ids = {1, 17, 23, 5, model.imagePlaceholderId(), 40, 41, 42, 43, 44};
        float[] pixels = new float[3 * 32 * 32];
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return model.prompt(ids, List.of(pixels));
    }
}
