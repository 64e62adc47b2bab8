package dev.mod4j.loaders.layout;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.HubCache;
import dev.mod4j.loaders.config.ModelConfig;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.loaders.synthetic.RandomModelSpec;
import dev.mod4j.loaders.synthetic.RandomModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** mm_vision_tower hub ids found as huggingface_hub finds them, beside the model, or embedded in the checkpoint. */
class VisionTowerLookupTest {
    static final String HUB_ID = "openai/clip-vit-large-patch14-336";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** An original-layout model with its tower in clip-vision-tower/, mm_vision_tower set to the hub id. */
    private Path model(String name, CheckpointLayout layout, ClipVisionConfig tower) throws Exception {
        Path dir = tmp.resolve("models").resolve(name);
        RandomModelWriter.write(new RandomModelSpec(RandomModelSpec.tinyLlama(96, 32, 48, 2, 4, 2), tower, layout,
                DType.F32, RandomModelSpec.Routers.NONE, List.of(), Long.MAX_VALUE, 5, 0.1f), dir);
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        config.put("mm_vision_tower", HUB_ID);
        Files.writeString(dir.resolve("config.json"), config.toPrettyString());
        return dir;
    }

    private static ClipVisionConfig tinyTower() {
        return RandomModelSpec.tinyClip(24, 40, 2, 2, 28, 14);
    }

    /** Moves the written tower directory to {@code to}; returns {@code to}. */
    private static Path moveTower(Path model, Path to) throws Exception {
        Files.createDirectories(to.getParent());
        Files.move(model.resolve(RandomModelWriter.ORIGINAL_TOWER_DIRECTORY), to);
        return to;
    }

    private static void delete(Path dir) throws Exception {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void hubCacheRootFollowsHuggingfaceHubsVariables() {
        String home = "/home/u";
        assertEquals(Path.of("/c/hub"), HubCache.fromEnvironment(Map.of("HF_HUB_CACHE", "/c/hub", "HF_HOME", "/h")::get,
                home).root());
        assertEquals(Path.of("/h/hub"), HubCache.fromEnvironment(Map.of("HF_HOME", "/h")::get, home).root());
        assertEquals(Path.of("/home/u/hf/hub"), HubCache.fromEnvironment(Map.of("HF_HOME", "~/hf")::get, home).root());
        assertEquals(Path.of("/x/huggingface/hub"), HubCache.fromEnvironment(Map.of("XDG_CACHE_HOME", "/x")::get,
                home).root());
        assertEquals(Path.of("/home/u/.cache/huggingface/hub"), HubCache.fromEnvironment(Map.<String, String>of()::get,
                home).root());
    }

    @Test
    void hubIdResolvesToTheSnapshotRefsMainNamesNotTheNewest() throws Exception {
        Path model = model("llava", CheckpointLayout.LLAVA_ORIGINAL, tinyTower());
        HubCache cache = new HubCache(tmp.resolve("hub"));
        Path repo = cache.repoFolder(HUB_ID);
        assertEquals("models--openai--clip-vit-large-patch14-336", repo.getFileName().toString());
        Path older = moveTower(model, repo.resolve("snapshots").resolve("1111aaaa"));
        // A newer snapshot (written later, with a broken config) that refs/main does not name.
        Path newer = Files.createDirectories(repo.resolve("snapshots").resolve("2222bbbb"));
        Files.writeString(newer.resolve("config.json"), "{not json");
        assertTrue(newer.toFile().setLastModified(System.currentTimeMillis() + 60_000));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs").resolve("main"), "1111aaaa");
        assertEquals(older, cache.snapshot(HUB_ID));
        try (ModelFiles files = ModelFiles.open(model, null, LoadMode.MMAP, cache)) {
            assertEquals(older, files.config().visionTowerDirectory());
            assertEquals(24, files.config().vision().hiddenSize());
            assertTrue(CheckpointSummary.of(files).visionTower().startsWith("HuggingFace cache: " + older));
        }
        // --model accepts the hub id of a cached model the same way.
        assertEquals(older, cache.resolveModel(Path.of(HUB_ID)));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> cache.resolveModel(Path.of("nobody/nothing")));
        assertEquals("model", e.source());
        assertMentions(e.getMessage(), "models--nobody--nothing", "refs/main");
    }

    @Test
    void aFolderBesideTheModelNamedAfterTheRepositoryIsFound() throws Exception {
        Path model = model("llava-v1.5", CheckpointLayout.LLAVA_ORIGINAL, tinyTower());
        Path sibling = moveTower(model, model.getParent().resolve("clip-vit-large-patch14-336"));
        try (ModelFiles files = ModelFiles.open(model, null, LoadMode.MMAP, new HubCache(tmp.resolve("empty")))) {
            assertEquals(sibling, files.config().visionTowerDirectory());
            assertEquals(2, files.config().vision().numHiddenLayers());
        }
    }

    @Test
    void aMissingTowerListsEveryPlaceLooked() throws Exception {
        Path model = model("towerless", CheckpointLayout.LLAVA_ORIGINAL, tinyTower());
        delete(model.resolve(RandomModelWriter.ORIGINAL_TOWER_DIRECTORY));
        HubCache cache = new HubCache(tmp.resolve("empty-hub"));
        try (ModelFiles files = ModelFiles.open(model, null, LoadMode.MMAP, cache)) {
            assertNull(files.vision());
            List<String> searched = files.config().visionTowerLookup().searched();
            assertTrue(searched.contains(model.resolve(HUB_ID).toString()), searched.toString());
            assertTrue(searched.contains(model.resolve("clip-vit-large-patch14-336").toString()), searched.toString());
            assertTrue(searched.contains(model.getParent().resolve("clip-vit-large-patch14-336").toString()),
                    searched.toString());
            assertTrue(searched.stream().anyMatch(s -> s.contains(cache.repoFolder(HUB_ID).toString())),
                    searched.toString());
            String tower = CheckpointSummary.of(files).visionTower();
            assertMentions(tower, CheckpointSummary.TOWER_NOT_FOUND + HUB_ID, "looked in",
                    model.getParent().resolve("clip-vit-large-patch14-336").toString());
        }
    }

    @Test
    void anEmbeddedTowerUsesTheCheckpointsWeightsWithTheCachedConfig() throws Exception {
        Path model = model("pmod", CheckpointLayout.LLAVA_ORIGINAL_EMBEDDED_TOWER, tinyTower());
        // The embedded layout writes no tower directory; the config comes from the cache.
        HubCache cache = new HubCache(tmp.resolve("hub"));
        Path snapshot = Files.createDirectories(cache.repoFolder(HUB_ID).resolve("snapshots").resolve("abc"));
        Files.createDirectories(cache.repoFolder(HUB_ID).resolve("refs"));
        Files.writeString(cache.repoFolder(HUB_ID).resolve("refs").resolve("main"), "abc\n");
        ObjectNode clip = JSON.createObjectNode();
        clip.put("hidden_size", 24).put("intermediate_size", 40).put("num_hidden_layers", 2)
                .put("num_attention_heads", 2).put("image_size", 28).put("patch_size", 14);
        Files.writeString(snapshot.resolve("config.json"), clip.toPrettyString());
        try (ModelFiles files = ModelFiles.open(model, null, LoadMode.MMAP, cache)) {
            assertEquals(CheckpointLayout.LLAVA_ORIGINAL_EMBEDDED_TOWER, files.layout());
            assertSame(files.language(), files.vision());
            assertEquals(tinyTower().hiddenSize(), files.config().vision().hiddenSize());
            assertMentions(CheckpointSummary.of(files).visionTower(), "embedded in the checkpoint",
                    snapshot.toString());
        }
    }

    @Test
    void anEmbeddedTowerWithoutConfigTakesTheShapesAndTheNamedTowersKnownConfig() throws Exception {
        // 128 wide: two heads of CLIP ViT-L/14's 64.
        ClipVisionConfig tower = RandomModelSpec.tinyClip(128, 64, 2, 2, 28, 14);
        Path model = model("pmod-nocfg", CheckpointLayout.LLAVA_ORIGINAL_EMBEDDED_TOWER, tower);
        try (ModelFiles files = ModelFiles.open(model, null, LoadMode.MMAP, new HubCache(tmp.resolve("none")))) {
            ClipVisionConfig v = files.config().vision();
            assertEquals(new ClipVisionConfig(128, 64, 2, 2, 3, 28, 14, "quick_gelu", 1e-5, 768), v);
            assertMentions(CheckpointSummary.of(files).visionTower(), "embedded in the checkpoint",
                    "known config of " + HUB_ID);
        }
        ObjectNode config = (ObjectNode) JSON.readTree(model.resolve("config.json").toFile());
        config.put("mm_vision_tower", "someone/unknown-tower");
        Files.writeString(model.resolve("config.json"), config.toPrettyString());
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> ModelFiles.open(model, null, LoadMode.MMAP, new HubCache(tmp.resolve("none"))));
        assertEquals("vision tower", e.source());
        assertMentions(e.getMessage(), "mm_vision_tower 'someone/unknown-tower'", "embedded", "looked in",
                "models--someone--unknown-tower");
    }

    @Test
    void anOverrideNeedsNoSearch() throws Exception {
        Path model = model("given", CheckpointLayout.LLAVA_ORIGINAL, tinyTower());
        Path tower = model.resolve(RandomModelWriter.ORIGINAL_TOWER_DIRECTORY);
        ModelConfig c = ModelConfig.load(model, tower, new HubCache(tmp.resolve("none")));
        assertEquals(tower, c.visionTowerDirectory());
        assertTrue(c.visionTowerLookup().searched().isEmpty());
    }
}
