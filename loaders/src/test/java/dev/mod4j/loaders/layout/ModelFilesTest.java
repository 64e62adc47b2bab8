package dev.mod4j.loaders.layout;

import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.loaders.config.ModelFamily;
import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.loaders.safetensors.CheckpointFormatException;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.loaders.safetensors.SafetensorsWriter;
import dev.mod4j.loaders.safetensors.Tensor;
import dev.mod4j.loaders.synthetic.RandomModelSpec;
import dev.mod4j.loaders.synthetic.RandomModelSpec.Routers;
import dev.mod4j.loaders.synthetic.RandomModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Writes tiny models in every real layout to disk, reads them back, and checks what is detected. */
class ModelFilesTest {
    @TempDir
    Path dir;

    static final LlamaConfig TEXT = RandomModelSpec.tinyLlama(96, 32, 48, 3, 4, 2);
    static final ClipVisionConfig CLIP = RandomModelSpec.tinyClip(24, 40, 2, 2, 28, 14);

    static RandomModelSpec llava(CheckpointLayout layout) {
        return new RandomModelSpec(TEXT, CLIP, layout, DType.F32, Routers.NONE, List.of(), Long.MAX_VALUE, 11, 0.1f);
    }

    @Test
    void plainLlamaIsDetected() {
        Path d = dir.resolve("llama");
        RandomModelWriter.write(new RandomModelSpec(TEXT, null, CheckpointLayout.LLAMA, DType.F32, Routers.NONE,
                List.of(), Long.MAX_VALUE, 1, 0.1f), d);
        try (ModelFiles files = ModelFiles.open(d)) {
            assertEquals(CheckpointLayout.LLAMA, files.layout());
            assertEquals(ModelFamily.LLAMA, files.config().family());
            assertEquals(null, files.vision());
            CheckpointSummary s = CheckpointSummary.of(files);
            // embed + 3 layers × 9 + norm + head
            assertEquals(1 + 27 + 1 + 1, s.tensorCount());
            long perLayer = 2 * 32 + 32 * 32 + 2 * 16 * 32 + 32 * 32 + 3 * 48 * 32;
            assertEquals(2 * 96 * 32 + 3 * perLayer + 32, s.parameters().get("language model"));
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"})
    void llavaHfLayoutsRoundTripInEveryDtype(DType dtype) {
        for (CheckpointLayout layout : List.of(CheckpointLayout.LLAVA_HF, CheckpointLayout.LLAVA_HF_MODEL)) {
            Path d = dir.resolve(layout.name().replaceAll("\\W", "_") + dtype);
            RandomModelSpec spec = llava(layout).withDtype(dtype);
            RandomModelWriter.write(spec, d);
            try (ModelFiles files = ModelFiles.open(d)) {
                assertEquals(layout, files.layout());
                assertSame(files.language(), files.vision());
                Tensor q = files.layerTensor(1, "self_attn.q_proj.weight");
                assertEquals(dtype, q.dtype());
                CheckpointSummary s = CheckpointSummary.of(files);
                assertEquals(3, s.parameters().size(), s.parameters().toString());
                assertEquals(32L * 24 + 32 + 32 * 32 + 32, s.parameters().get("projector")); // linear_1 + bias, linear_2 + bias
                assertEquals(4, s.dimensions().imageTokens());
                assertEquals(dtype.name(), s.dtypes().keySet().iterator().next());
            }
        }
    }

    @Test
    void writtenWeightsReadBackBitExactlyAcrossShards() throws Exception {
        Path single = dir.resolve("single");
        Path sharded = dir.resolve("sharded");
        RandomModelWriter.write(llava(CheckpointLayout.LLAVA_HF).withDtype(DType.BF16), single);
        RandomModelWriter.write(llava(CheckpointLayout.LLAVA_HF).withDtype(DType.BF16).withMaxShardBytes(20_000), sharded);
        assertTrue(Files.exists(sharded.resolve("model.safetensors.index.json")));
        try (Checkpoint a = Checkpoint.open(single); Checkpoint b = Checkpoint.open(sharded, LoadMode.COPY)) {
            assertTrue(b.files().size() > 2);
            assertEquals(a.tensorNames(), b.tensorNames());
            for (String name : a.tensorNames()) {
                assertArrayEquals(a.tensor(name).data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                        b.tensor(name).data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), name);
            }
        }
    }

    @Test
    void originalLayoutWithSeparateTowerAndGammaModRouters() {
        Path d = dir.resolve("gmod");
        RandomModelWriter.write(llava(CheckpointLayout.LLAVA_ORIGINAL).withRouters(Routers.GAMMA_MOD, List.of(1, 2)), d);
        try (ModelFiles files = ModelFiles.open(d)) {
            assertEquals(CheckpointLayout.LLAVA_ORIGINAL, files.layout());
            assertEquals(ModelFamily.LLAVA_ORIGINAL, files.config().family());
            assertEquals("mod_llava_llama", files.config().modelType());
            assertTrue(files.vision() != files.language());
            CheckpointSummary s = CheckpointSummary.of(files);
            assertEquals(List.of(1, 2), s.gammaModRouterLayers());
            assertEquals(List.of(), s.pModRouterLayers());
            assertEquals(2L * 2 * 32, s.parameters().get("routers"));
            assertTrue(files.config().extraFields().containsKey("mod"));
            // The shared router is the same tensor under every MoD layer.
            assertArrayEquals(files.language().tensor("model.layers.1.router.weight").toFloatArray(),
                    files.language().tensor("model.layers.2.router.weight").toFloatArray());
        }
    }

    @Test
    void pModCheckpointNestsMoDLayersUnderDecoderLayer() {
        Path d = dir.resolve("pmod");
        RandomModelWriter.write(llava(CheckpointLayout.LLAVA_ORIGINAL).withRouters(Routers.P_MOD, List.of(1, 2)), d);
        try (ModelFiles files = ModelFiles.open(d)) {
            assertEquals("model.layers.0.self_attn.q_proj.weight",
                    files.layout().layerTensor(files.language(), 0, "self_attn.q_proj.weight"));
            assertEquals("model.layers.2.decoder_layer.self_attn.q_proj.weight",
                    files.layout().layerTensor(files.language(), 2, "self_attn.q_proj.weight"));
            assertEquals(List.of(1, 2), CheckpointSummary.of(files).pModRouterLayers());
            assertArrayEquals(new long[]{1, 32}, files.language().info("model.layers.2.router.router.weight").shape());
        }
    }

    @Test
    void linearProjectorAndMissingTower() throws Exception {
        Path d = dir.resolve("linear");
        RandomModelWriter.write(llava(CheckpointLayout.LLAVA_ORIGINAL_LINEAR), d);
        try (ModelFiles files = ModelFiles.open(d)) {
            assertEquals(CheckpointLayout.LLAVA_ORIGINAL_LINEAR, files.layout());
        }
        // Without its tower directory the model still opens (inspect works), and the summary says where to look.
        Path towerless = dir.resolve("towerless");
        RandomModelWriter.write(llava(CheckpointLayout.LLAVA_ORIGINAL), towerless);
        try (var walk = Files.walk(towerless.resolve(RandomModelWriter.ORIGINAL_TOWER_DIRECTORY))) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        try (ModelFiles files = ModelFiles.open(towerless)) {
            assertEquals(null, files.vision());
            String tower = CheckpointSummary.of(files).visionTower();
            assertTrue(tower.startsWith(CheckpointSummary.TOWER_NOT_FOUND)
                    && tower.contains(RandomModelWriter.ORIGINAL_TOWER_DIRECTORY), tower);
        }
    }

    @Test
    void missingOrMisshapenTensorIsReportedByItsExpectedName() throws Exception {
        Path d = dir.resolve("broken");
        RandomModelWriter.write(llava(CheckpointLayout.LLAVA_HF), d);
        // Rewrite the checkpoint without layer 2's up_proj.
        Path file = d.resolve("model.safetensors");
        SafetensorsWriter rewritten = new SafetensorsWriter();
        try (Checkpoint c = Checkpoint.open(d, LoadMode.COPY)) {
            for (String name : c.tensorNames()) {
                if (!name.equals("language_model.model.layers.2.mlp.up_proj.weight")) {
                    rewritten.add(SafetensorsWriter.TensorData.of(c.tensor(name)));
                }
            }
            rewritten.write(d.resolve("tmp.bin.part"));
        }
        Files.move(d.resolve("tmp.bin.part"), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertMentions(assertThrows(CheckpointFormatException.class, () -> ModelFiles.open(d)).getMessage(),
                "missing tensor 'language_model.model.layers.2.mlp.up_proj.weight'", "[48, 32]");

        Path wrongShape = dir.resolve("shape");
        RandomModelWriter.write(llava(CheckpointLayout.LLAVA_HF), wrongShape);
        Files.writeString(wrongShape.resolve("config.json"), Files.readString(wrongShape.resolve("config.json"))
                .replace("\"intermediate_size\" : 48", "\"intermediate_size\" : 50"));
        assertMentions(assertThrows(CheckpointFormatException.class, () -> ModelFiles.open(wrongShape)).getMessage(),
                "language_model.model.layers.0.mlp.gate_proj.weight", "expected shape [50, 32], found [48, 32]");
    }
}
