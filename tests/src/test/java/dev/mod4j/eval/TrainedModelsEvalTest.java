package dev.mod4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.api.Answer;
import dev.mod4j.api.DemoAssets;
import dev.mod4j.api.ImageInput;
import dev.mod4j.api.Llava;
import dev.mod4j.api.TrainedDemoModel;
import dev.mod4j.cli.Mod4j;
import dev.mod4j.report.DemoFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 23's experiment on the slice of the Shapes VQA test split bundled with the trained models (the first 20
 * questions), as examples/train/eval_table.py runs it on the whole split: {@code mod4j eval} under every schedule
 * of its table, on the dense model and on its p-MoD and γ-MoD fine-tunes. Checks that the trained dense model reads
 * the image (accuracy above a threshold the answer prior, about 30%, never reaches), that every schedule's accuracy
 * is reported, and that the MoD models process the rows their configs imply (p-MoD's progressive ratio decay, γ-MoD's
 * MoD layers at a fixed skip ratio), counted from the configs here by hand.
 */
class TrainedModelsEvalTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The dense model's accuracy on the slice must reach this: well above the answer prior (about 30%), which an
     * untrained or image-blind model answers at. Issue 23 asks for 90% on the test split; the shipped model answers
     * 92.5% of its first 200 questions in PyTorch and in mod4j, and 95% (19 of 20) of this slice.
     */
    static final double DENSE_THRESHOLD = 90.0;
    /** eval_table.py's schedules on the dense model (a 4-layer decoder: FastV and PyramidDrop at several ratios). */
    static final List<String> DENSE_SCHEDULES = List.of("dense", "fastv:k=1;r=0.5", "fastv:k=1;r=0.75",
            "fastv:k=2;r=0.5", "fastv:k=2;r=0.75", "pdrop:layers=1,2,3;ratios=0.5,0.25,0.125",
            "pdrop:layers=2;ratios=0.25", "pdrop:layers=1,2,3;ratios=0.75,0.5,0.25");

    @TempDir
    Path tmp;

    @Test
    void everyScheduleIsScoredAndTheTrainedDenseModelReadsTheImage() throws IOException {
        Path dense = DemoAssets.trainedModel(DemoFixture.cacheRoot());
        Map<String, JsonNode> results = eval(dense, DENSE_SCHEDULES, "dense");
        assertEquals(DENSE_SCHEDULES.size(), results.size(), results.keySet().toString());
        for (String schedule : DENSE_SCHEDULES) {
            JsonNode r = results.get(schedule);
            assertTrue(r != null, schedule + " in " + results.keySet());
            assertEquals(20, r.get("answered").asInt(), schedule);
            assertTrue(r.get("score").isNumber(), schedule);
            assertTrue(r.get("flops_ratio").asDouble() <= 1.0 + 1e-9, schedule);
        }
        double accuracy = results.get("dense").get("score").asDouble();
        assertTrue(accuracy >= DENSE_THRESHOLD, "dense accuracy " + accuracy + "% on the bundled slice");
        assertTrue(results.get("pdrop:layers=1,2,3;ratios=0.5,0.25,0.125").get("flops_ratio").asDouble() < 0.7);
    }

    @Test
    void thePModModelKeepsTheImageRowsItsRatioDecayImplies() throws IOException {
        Path pmod = DemoAssets.trainedModel(DemoFixture.cacheRoot(), TrainedDemoModel.P_MOD);
        JsonNode config = JSON.readTree(pmod.resolve("config.json").toFile());
        int layers = config.get("text_config").get("num_hidden_layers").asInt();
        int imageTokens = config.get("image_seq_length").asInt();
        // p-MoD's shifted-cosine decay (MCG-NJU/p-MoD, docs/methods.md §4): R_l = cos(πl/(L−1))/2 + 0.5; layers with
        // R_l <= 0.85 are MoD layers keeping trunc(N · max(R_l, 0.15)) image tokens
        int[] expected = new int[layers];
        for (int l = 0; l < layers; l++) {
            double r = Math.cos(Math.PI * l / (layers - 1)) / 2 + 0.5;
            expected[l] = r <= 0.85 ? (int) (imageTokens * Math.max(r, 0.15)) : imageTokens;
        }
        assertArrayEquals(expected, perLayer(pmod, "pmod"));
        JsonNode result = eval(pmod, List.of("pmod"), "pmod").values().iterator().next();
        double ratio = result.get("flops_ratio").asDouble();
        assertTrue(ratio > 0.3 && ratio < 0.9, "p-MoD's FLOPs ratio " + ratio);
        assertEquals(20, result.get("answered").asInt());
    }

    @Test
    void theGammaModModelSkipsHalfTheImageRowsInItsModLayers() throws IOException {
        Path gmod = DemoAssets.trainedModel(DemoFixture.cacheRoot(), TrainedDemoModel.GAMMA_MOD);
        JsonNode config = JSON.readTree(gmod.resolve("config.json").toFile());
        int layers = config.get("text_config").get("num_hidden_layers").asInt();
        int imageTokens = config.get("image_seq_length").asInt();
        List<Integer> modLayers = new ArrayList<>();
        config.get("mod").get("mod_layers_idx").forEach(n -> modLayers.add(n.asInt()));
        assertTrue(!modLayers.isEmpty() && modLayers.size() < layers, modLayers.toString());
        // γ-MoD's masked routing at skip 0.5 (Gamma-MOD, docs/methods.md §3): in a MoD layer floor(0.5 P) rows of the
        // system + image prefix (P rows: bos, "▁USER:", "▁", the image) are skipped, the router choosing which, so the
        // image keeps N − floor(P/2) rows plus the system rows the router skipped instead (0 to 3)
        int prefix = 3 + imageTokens;
        int[] rows = perLayer(gmod, "gmod:skip=0.5");
        for (int l = 0; l < layers; l++) {
            if (modLayers.contains(l)) {
                int fewest = imageTokens - prefix / 2;
                assertTrue(rows[l] >= fewest && rows[l] <= fewest + 3, "layer " + l + ": " + rows[l]);
            } else {
                assertEquals(imageTokens, rows[l], "layer " + l);
            }
        }
        Map<String, JsonNode> results = eval(gmod, List.of("gmod", "gmod:skip=0.5"), "gmod");
        assertEquals(2, results.size(), results.keySet().toString());
        for (Map.Entry<String, JsonNode> r : results.entrySet()) {
            assertEquals(20, r.getValue().get("answered").asInt(), r.getKey());
            // the released rule (keep a row when its router p > 0.005) may keep every row of a router this young;
            // the fixed ratio always skips
            double ratio = r.getValue().get("flops_ratio").asDouble();
            assertTrue(r.getKey().contains("skip=") ? ratio < 1.0 : ratio <= 1.0 + 1e-9, r.getKey() + ": " + ratio);
        }
    }

    /**
     * {@code eval --weights q8_0}: the trained dense model with its decoder quantized at load (hidden size 64, two
     * Q8_0 blocks a row) still reads the image: every question answered, accuracy within 10 points of the float
     * model's threshold.
     */
    @Test
    void theDenseModelQuantizedToQ8_0StillReadsTheImage() throws IOException {
        Path dense = DemoAssets.trainedModel(DemoFixture.cacheRoot());
        JsonNode r = eval(dense, List.of("dense"), "dense-q8_0", "--weights", "q8_0").get("dense");
        assertEquals(20, r.get("answered").asInt());
        double accuracy = r.get("score").asDouble();
        assertTrue(accuracy >= DENSE_THRESHOLD - 10, "Q8_0 dense accuracy " + accuracy + "% on the bundled slice");
    }

    /** Image rows each layer processed for the slice's first question. */
    private static int[] perLayer(Path model, String schedule) {
        Path questions = DemoAssets.trainedModelQuestions(DemoAssets.trainedModel(DemoFixture.cacheRoot()));
        EvalQuestion first = EvalQuestion.read(questions).getFirst();
        try (Llava llava = Llava.open(model)) {
            Answer a = llava.request(ImageInput.of(questions.getParent().resolve(first.image())), first.text())
                    .schedule(schedule).maxNewTokens(1).ask();
            return a.imageTokensPerLayer();
        }
    }

    /** {@code mod4j eval} on the bundled slice; its results.json rows by schedule (as eval spells it out). */
    private Map<String, JsonNode> eval(Path model, List<String> schedules, String name, String... extra)
            throws IOException {
        Path questions = DemoAssets.trainedModelQuestions(DemoAssets.trainedModel(DemoFixture.cacheRoot()));
        Path out = tmp.resolve(name);
        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        List<String> args = new ArrayList<>(List.of("eval", "--model", model.toString(), "--questions",
                questions.toString(), "--schedules", String.join(",", schedules), "--answers-out", out.toString(),
                "--max-new-tokens", "4", "--progress", "never", "--threads", "2"));
        args.addAll(List.of(extra));
        int code = Mod4j.run(args.toArray(new String[0]), new PrintWriter(stdout, true),
                new PrintWriter(stderr, true));
        assertEquals(0, code, stderr.toString());
        Map<String, JsonNode> rows = new HashMap<>();
        for (JsonNode r : JSON.readTree(Files.readString(out.resolve("results.json")))) {
            rows.put(r.get("schedule").asText(), r);
        }
        assertTrue(Files.exists(out.resolve("results-accuracy.svg")), "the accuracy chart");
        return rows;
    }
}
