package dev.mod4j.runtime.cpu;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.backend.VisionEncoder;
import dev.mod4j.runtime.backend.VisionParts;
import dev.mod4j.runtime.tensor.Linear;
import dev.mod4j.runtime.tensor.WeightMatrix;
import dev.mod4j.runtime.vision.ClipVisionTower;
import dev.mod4j.runtime.weights.ClipLayerWeights;
import dev.mod4j.runtime.weights.ClipVisionWeights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Crops encoded in one batch (LLaVA-NeXT's entry point) are each crop encoded alone, bit for bit. */
class CpuVisionEncoderTest {

    @ParameterizedTest(name = "hidden={0} heads={1} act={2} crops={3}")
    @CsvSource({
            "48, 2, gelu, 3",           // head size 24: partial panels everywhere
            "128, 2, quick_gelu, 2",    // head size 64, CLIP-L's
    })
    void batchedCropsAreEachCropAlone(int hidden, int heads, String act, int crops) {
        ClipVisionConfig config = new ClipVisionConfig(hidden, 136, 2, heads, 3, 40, 8, act, 1e-5, hidden);
        SplittableRandom random = new SplittableRandom(hidden);
        try (Arena arena = Arena.ofShared(); Parallel two = new Parallel(2)) {
            CpuVisionEncoder encoder = new CpuVisionEncoder(new VisionParts(config, weights(config, arena, random),
                    null), two);
            ClipVisionTower tower = new ClipVisionTower(config, encoder);
            float[][] images = new float[crops][];
            for (int i = 0; i < crops; i++) {
                images[i] = values(3 * 40 * 40, random, 2);
            }
            int tokens = tower.tokens();
            float[] batched = tower.hiddenStates(images, -2);
            assertEquals(crops * tokens * hidden, batched.length);
            // The interface's default, one crop after another, as other backends run them.
            VisionEncoder oneByOne = new VisionEncoder() {
                @Override
                public float[] hiddenState(float[] pixels, int index, BiConsumer<Integer, float[]> observer) {
                    return encoder.hiddenState(pixels, index, observer);
                }

                @Override
                public float[] project(float[] features, int rows) {
                    throw new UnsupportedOperationException();
                }
            };
            assertArrayEquals(oneByOne.hiddenStates(images, 1), batched);
            for (int i = 0; i < crops; i++) {
                float[] alone = tower.hiddenState(images[i], -2, null);
                assertArrayEquals(alone, Arrays.copyOfRange(batched, i * tokens * hidden, (i + 1) * tokens * hidden),
                        "crop " + i);
            }
            float[][] withAWrongCrop = {images[0], new float[7]};
            assertThrows(InvalidInputException.class, () -> tower.hiddenStates(withAWrongCrop, -2));
        }
    }

    private static ClipVisionWeights weights(ClipVisionConfig c, Arena arena, SplittableRandom random) {
        int h = c.hiddenSize();
        int m = c.intermediateSize();
        List<ClipLayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            layers.add(new ClipLayerWeights(values(h, random, 1), values(h, random, 0.1f),
                    linear(h, h, arena, random), linear(h, h, arena, random), linear(h, h, arena, random),
                    linear(h, h, arena, random), values(h, random, 1), values(h, random, 0.1f),
                    linear(m, h, arena, random), linear(h, m, arena, random)));
        }
        int patch = c.numChannels() * c.patchSize() * c.patchSize();
        return new ClipVisionWeights(values(h, random, 1),
                WeightMatrix.ofFloats("patch", values(h * patch, random, 0.1f), DType.F32, h, patch, arena),
                values((c.patchCount() + 1) * h, random, 0.1f), values(h, random, 1), values(h, random, 0.1f), layers);
    }

    private static Linear linear(int out, int in, Arena arena, SplittableRandom random) {
        return new Linear(WeightMatrix.ofFloats("w", values(out * in, random, 0.2f), DType.F32, out, in, arena),
                values(out, random, 0.1f));
    }

    private static float[] values(int n, SplittableRandom random, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextDouble() * 2 - 1) * scale;
        }
        return a;
    }
}
