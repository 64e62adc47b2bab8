package dev.mod4j.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.image.AnyresConvention;
import dev.mod4j.loaders.image.ImageDecoder;
import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.runtime.generate.Sampler;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.llava.PreprocessedImage;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.prompt.TokenRole;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.mod4j.loaders.FloatAssertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * LLaVA-NeXT (anyres) in both layouts against the reference software itself (tests/golden/generate_next_golden.py:
 * transformers' LlavaNextImageProcessor + LlavaNextForConditionalGeneration for llava-hf, LLaVA's process_images +
 * LlavaLlamaForCausalLM for the original layout): grid, crops, image rows, logits and greedy ids, from PNGs of
 * several aspect ratios, including the two where the layouts' software differs.
 */
class LlavaNextGoldenTest {
    static final float LOGIT_TOLERANCE = 1e-4f;
    static final float PIXEL_TOLERANCE = 1e-5f;
    static final List<String> LAYOUTS = List.of("llava-next-hf", "llava-next-original");
    static final List<String> IMAGES = List.of("square-30x30", "photo-200x150", "tall-60x170", "wide-260x90",
            "rounding-47x376");
    private static Path root;
    private static Map<String, MultimodalModel> models;

    @BeforeAll
    static void open() throws URISyntaxException {
        root = Path.of(LlavaNextGoldenTest.class.getResource("/golden/next/summary.json").toURI()).getParent();
        models = Map.of(LAYOUTS.get(0), MultimodalModel.load(root.resolve(LAYOUTS.get(0))),
                LAYOUTS.get(1), MultimodalModel.load(root.resolve(LAYOUTS.get(1))));
    }

    @AfterAll
    static void close() {
        models.values().forEach(MultimodalModel::close);
    }

    static Stream<Arguments> cases() {
        return LAYOUTS.stream().flatMap(layout -> IMAGES.stream().map(image -> Arguments.of(layout, image)));
    }

    private static JsonNode golden(String layout, String image) throws IOException {
        return new ObjectMapper().readTree(root.resolve(layout).resolve(image).resolve("golden.json").toFile());
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    private static PreprocessedImage preprocessed(String layout, String image) {
        return models.get(layout).preprocessImage(ImageDecoder.decode(root.resolve("images").resolve(image + ".png")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void cropsGridAndImageRowsAreTheReferenceProcessors(String layout, String image) throws IOException {
        JsonNode g = golden(layout, image);
        PreprocessedImage pre = preprocessed(layout, image);
        assertArrayEquals(ints(g.get("grid")), new int[] {pre.gridRows(), pre.gridColumns()}, "grid (rows, columns)");
        assertEquals(g.get("crops").asInt(), pre.crops());
        NpyArray reference = NpyArray.read(root.resolve(layout).resolve(image).resolve("pixel_values.npy"));
        assertEquals(pre.crops(), reference.shape()[0]);
        assertClose(reference.data(), pre.pixels(), PIXEL_TOLERANCE, layout + " " + image + " crops");
        assertEquals(g.get("image_rows").asInt(), models.get(layout).imageRows(pre), "image rows");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void greedyDecodingFromThePngMatchesTheReference(String layout, String image) throws IOException {
        JsonNode g = golden(layout, image);
        MultimodalModel model = models.get(layout);
        PromptRows prompt = model.promptWithImages(ints(g.get("input_ids")), List.of(preprocessed(layout, image)));
        assertEquals(g.get("prompt_length").asInt(), prompt.length());
        assertEquals(g.get("image_start").asInt(), prompt.imageStart());
        assertEquals(TokenRole.IMAGE, prompt.roles()[prompt.imageStart() + g.get("image_rows").asInt() - 1]);
        assertEquals(TokenRole.INSTRUCTION, prompt.roles()[prompt.imageStart() + g.get("image_rows").asInt()]);
        int vocab = model.decoder().config().vocabSize();
        int[] expected = ints(g.get("greedy_new_tokens"));
        Session session = model.decoder().newSession(prompt.length() + expected.length);
        Path dir = root.resolve(layout).resolve(image);
        boolean full = dir.resolve("logits.npy").toFile().exists();
        float[] logits = full ? new float[prompt.length() * vocab] : null;
        float[] last = session.prefill(prompt, logits);
        if (full) {
            assertClose(NpyArray.read(dir.resolve("logits.npy")).data(), logits, LOGIT_TOLERANCE, "prompt logits");
        }
        float[] steps = NpyArray.read(dir.resolve("greedy_logits.npy")).data();
        int[] generated = new int[expected.length];
        for (int s = 0; s < generated.length; s++) {
            assertClose(Arrays.copyOfRange(steps, s * vocab, (s + 1) * vocab), last, LOGIT_TOLERANCE,
                    layout + " " + image + " step " + s);
            generated[s] = Sampler.argmax(last);
            if (s + 1 < generated.length) {
                last = session.decode(generated[s]);
            }
        }
        assertArrayEquals(expected, generated, layout + " " + image + " greedy ids");
    }

    /** llava-hf prompts come with the processor's expanded image tokens; one placeholder means the same image. */
    @Test
    void llavaHfTakesOnePlaceholderOrTheExpandedRun() throws IOException {
        JsonNode g = golden("llava-next-hf", "photo-200x150");
        MultimodalModel model = models.get("llava-next-hf");
        PreprocessedImage image = preprocessed("llava-next-hf", "photo-200x150");
        int[] expanded = ints(g.get("input_ids"));
        int placeholder = model.imagePlaceholderId();
        int[] single = Arrays.stream(expanded).filter(id -> id != placeholder).toArray();
        int start = g.get("image_start").asInt();
        int[] one = new int[single.length + 1];
        System.arraycopy(single, 0, one, 0, start);
        one[start] = placeholder;
        System.arraycopy(single, start, one, start + 1, single.length - start);
        PromptRows a = model.promptWithImages(expanded, List.of(image));
        PromptRows b = model.promptWithImages(one, List.of(image));
        assertArrayEquals(a.tokenIds(), b.tokenIds());
        assertArrayEquals(a.imageRows(), b.imageRows());
    }

    /**
     * The square tie: LLaVA reads pinpoints as (width, height) and tiles 1 wide × 2 tall, transformers as
     * (height, width) and tiles 2 wide × 1 tall; same row count (the references agree: 136), other crops.
     */
    @Test
    void aSmallSquareImageTilesTallInLlavaAndWideInTransformers() throws IOException {
        assertArrayEquals(new int[] {2, 1}, ints(golden("llava-next-original", "square-30x30").get("grid")));
        assertArrayEquals(new int[] {1, 2}, ints(golden("llava-next-hf", "square-30x30").get("grid")));
        // LLaVA-1.6's own pinpoints: a 300×300 photo.
        List<int[]> pinpoints = List.of(new int[] {336, 672}, new int[] {672, 336}, new int[] {672, 672},
                new int[] {1008, 336}, new int[] {336, 1008});
        assertArrayEquals(new int[] {336, 672}, AnyresConvention.LLAVA.bestResolution(300, 300, pinpoints));
        assertArrayEquals(new int[] {672, 336}, AnyresConvention.TRANSFORMERS.bestResolution(300, 300, pinpoints));
        // 640×480 is 2×2 in both, and a 1008×336 pinpoint read as (height, width) is tall: orientation matters.
        assertArrayEquals(new int[] {672, 672}, AnyresConvention.LLAVA.bestResolution(640, 480, pinpoints));
        assertArrayEquals(new int[] {672, 672}, AnyresConvention.TRANSFORMERS.bestResolution(640, 480, pinpoints));
        List<int[]> wideOnly = List.of(new int[] {1008, 336});
        assertArrayEquals(new int[] {1008, 336}, AnyresConvention.LLAVA.bestResolution(900, 300, wideOnly));
        assertArrayEquals(new int[] {336, 1008}, AnyresConvention.TRANSFORMERS.bestResolution(900, 300, wideOnly));
    }

    /**
     * Unpad rounding: LLaVA's int(376 · (24 / 47)) truncates 191.99999999999997 where transformers' int(round(x, 7))
     * gives 192, so one more feature column of padding is cut on each side: 136 against 184 image rows (the
     * references' own counts). At LLaVA-1.6's scale (hand-computed): 640×480 gives 2340 rows in both; 205×656
     * (grid 24 wide × 48 tall in both, 205 · (48 / 656) = 14.999999999999998) keeps 14 feature columns in LLaVA and
     * 16 in transformers: 576 + 48·15 = 1296 against 576 + 48·17 = 1392.
     */
    @Test
    void unpadRoundingChangesTheImageTokenCount() throws IOException {
        assertEquals(136, golden("llava-next-original", "rounding-47x376").get("image_rows").asInt());
        assertEquals(184, golden("llava-next-hf", "rounding-47x376").get("image_rows").asInt());
        assertNotEquals(models.get("llava-next-original").imageRows(preprocessed("llava-next-original",
                "rounding-47x376")), models.get("llava-next-hf").imageRows(preprocessed("llava-next-hf",
                "rounding-47x376")));
        assertEquals(new AnyresConvention.FeatureWindow(6, 36, 0, 48), AnyresConvention.LLAVA.unpad(640, 480, 48, 48));
        assertEquals(new AnyresConvention.FeatureWindow(6, 36, 0, 48),
                AnyresConvention.TRANSFORMERS.unpad(640, 480, 48, 48));
        List<int[]> pinpoints = List.of(new int[] {336, 672}, new int[] {672, 336}, new int[] {672, 672},
                new int[] {1008, 336}, new int[] {336, 1008});
        assertArrayEquals(new int[] {336, 672}, AnyresConvention.LLAVA.bestResolution(205, 656, pinpoints));
        assertArrayEquals(new int[] {336, 672}, AnyresConvention.TRANSFORMERS.bestResolution(205, 656, pinpoints));
        assertEquals(new AnyresConvention.FeatureWindow(0, 48, 5, 14), AnyresConvention.LLAVA.unpad(205, 656, 24, 48));
        assertEquals(new AnyresConvention.FeatureWindow(0, 48, 4, 16),
                AnyresConvention.TRANSFORMERS.unpad(205, 656, 24, 48));
    }
}
