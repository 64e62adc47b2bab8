package dev.mod4j.tornado;

import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.runtime.weights.LlamaWeights;
import dev.mod4j.runtime.tensor.WeightMatrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The device weight precision, decided from the device's capabilities and the checkpoint; no device needed. */
class WeightPrecisionTest {

    @Test
    void f16CheckpointsStayHalfOnlyOnDevicesWithFp16() {
        assertEquals(WeightPrecision.F16, WeightPrecision.forDevice(true, DType.F16));
        assertEquals(WeightPrecision.F32, WeightPrecision.forDevice(false, DType.F16));
    }

    @Test
    void bf16AndF32CheckpointsAreFloat32OnEveryDevice() {
        for (boolean fp16 : new boolean[] {true, false}) {
            assertEquals(WeightPrecision.F32, WeightPrecision.forDevice(fp16, DType.BF16));
            assertEquals(WeightPrecision.F32, WeightPrecision.forDevice(fp16, DType.F32));
        }
    }

    @Test
    void checkpointsWithMixedMatrixTypesAreFloat32() {
        assertEquals(WeightPrecision.F32, WeightPrecision.forDevice(true, null));
    }

    @ParameterizedTest
    @CsvSource({"llama-gqa-f16, F16", "llama-gqa-bf16, BF16", "llama-gqa-f32, F32"})
    void checkpointMatrixTypeIsTheOneAllProjectionsShare(String model, DType expected) {
        try (ModelFiles files = ModelFiles.open(TornadoTestSupport.golden(model), null, LoadMode.MMAP)) {
            assertEquals(expected, WeightPrecision.checkpointMatrices(LlamaWeights.load(files)));
        }
    }

    @Test
    void anLmHeadOfAnotherTypeMakesTheCheckpointMixed() {
        try (ModelFiles files = ModelFiles.open(TornadoTestSupport.golden("llama-gqa-f16"), null, LoadMode.MMAP)) {
            LlamaWeights w = LlamaWeights.load(files);
            WeightMatrix head = w.lmHead();
            WeightMatrix f32Head = new WeightMatrix(head.name(), Arena.ofAuto().allocate(
                    (long) head.outFeatures() * head.inFeatures() * Float.BYTES), DType.F32, head.outFeatures(),
                    head.inFeatures());
            assertNull(WeightPrecision.checkpointMatrices(new LlamaWeights(w.embedTokens(), w.layers(), w.norm(),
                    f32Head)));
        }
    }
}
