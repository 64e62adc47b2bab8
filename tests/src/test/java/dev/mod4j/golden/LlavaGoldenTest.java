package dev.mod4j.golden;

import dev.mod4j.loaders.image.ImageAspect;
import dev.mod4j.loaders.image.ImageDecoder;
import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.runtime.backend.Backends;
import dev.mod4j.runtime.generate.Sampler;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.model.Session;
import dev.mod4j.runtime.prompt.TokenRole;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

import static dev.mod4j.loaders.FloatAssertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * LLaVA end to end against the independent PyTorch reference (tests/golden/generate_llava_golden.py): vision tower
 * hidden states, selected features, projector output, merged-sequence logits and greedy tokens, in the llava-hf and
 * the original LLaVA layouts.
 */
class LlavaGoldenTest {
    static final float TOLERANCE = 1e-4f;

    @ParameterizedTest
    @ValueSource(strings = {"llava-hf-f32", "llava-original-f32", "llava-hf-bf16"})
    void everyStageMatchesTheReference(String caseName) {
        GoldenCase c = GoldenCase.load(caseName);
        float[] pixels = c.array("pixel_values.npy").data();
        try (MultimodalModel model = MultimodalModel.load(c.directory())) {
            NpyArray hiddenStates = c.array("vision_hidden_states.npy");
            int perState = (int) (hiddenStates.shape()[1] * hiddenStates.shape()[2]);
            float[] features = model.visionFeatures(pixels, (index, state) -> assertClose(
                    java.util.Arrays.copyOfRange(hiddenStates.data(), index * perState, (index + 1) * perState), state,
                    TOLERANCE, caseName + " vision hidden state " + index));
            assertClose(c.array("vision_features.npy").data(), features, TOLERANCE, caseName + " vision features");
            float[] projected = model.project(features, model.rowsPerImage());
            assertClose(c.array("projector_output.npy").data(), projected, TOLERANCE, caseName + " projector");

            PromptRows prompt = model.prompt(c.ints("input_ids"), List.of(pixels));
            assertEquals(c.golden().get("merged_length").asInt(), prompt.length());
            assertEquals(c.golden().get("image_start").asInt(), prompt.imageStart());
            assertEquals(TokenRole.SYSTEM, prompt.roles()[0]);
            assertEquals(TokenRole.INSTRUCTION, prompt.roles()[prompt.length() - 1]);
            int vocab = model.decoder().config().vocabSize();
            int[] expectedTokens = c.ints("greedy_new_tokens");
            Session session = model.decoder().newSession(prompt.length() + expectedTokens.length);
            float[] logits = new float[prompt.length() * vocab];
            float[] last = session.prefill(prompt, logits);
            assertClose(c.array("logits.npy").data(), logits, TOLERANCE, caseName + " prompt logits");
            NpyArray stepLogits = c.array("greedy_logits.npy");
            int[] generated = new int[expectedTokens.length];
            for (int step = 0; step < generated.length; step++) {
                assertClose(java.util.Arrays.copyOfRange(stepLogits.data(), step * vocab, (step + 1) * vocab), last,
                        TOLERANCE, caseName + " step " + step);
                generated[step] = Sampler.argmax(last);
                if (step + 1 < generated.length) {
                    last = session.decode(generated[step]);
                }
            }
            assertArrayEquals(expectedTokens, generated, caseName + " greedy tokens");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llava-hf-f32", "llava-original-f32"})
    void fromAPngThroughPreprocessingToTheReferenceTokens(String caseName) {
        GoldenCase c = GoldenCase.load(caseName);
        try (MultimodalModel model = MultimodalModel.load(c.directory())) {
            float[] pixels = model.preprocess(dev.mod4j.loaders.image.ImageDecoder.decode(c.directory().resolve("image.png")));
            // PIL resize reproduced exactly; the float steps as transformers does them.
            assertClose(c.array("pixel_values.npy").data(), pixels, 1e-5f, caseName + " pixel values");
            PromptRows prompt = model.prompt(c.ints("input_ids"), List.of(pixels));
            int[] expected = c.ints("greedy_new_tokens");
            Session session = model.decoder().newSession(prompt.length() + expected.length);
            int[] tokens = dev.mod4j.runtime.generate.Generator.generate(session, prompt, expected.length, List.of(),
                    dev.mod4j.runtime.generate.SamplingOptions.GREEDY, t -> {
                    }).tokens();
            assertArrayEquals(expected, tokens, caseName + " greedy tokens from the PNG");
        }
    }

    /**
     * llava-hf/llava-1.5-7b-hf ships a CLIPImageProcessor: transformers resizes the shortest edge and centre-crops,
     * it never pads, and it ignores image_aspect_ratio in config.json (written here to prove it is ignored). The
     * reference is CLIPImageProcessor's steps in the generator (pixel_values_clip_processor.npy).
     */
    @org.junit.jupiter.api.Test
    void llavaHfWithClipImageProcessorCropsAsTransformersDoes(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        GoldenCase c = GoldenCase.load("llava-hf-f32");
        Path dir = copyCase(c.directory(), tmp.resolve("llava-hf-clip"));
        Files.copy(dir.resolve("preprocessor_config.clip.json"), dir.resolve("preprocessor_config.json"),
                StandardCopyOption.REPLACE_EXISTING);
        Path config = dir.resolve("config.json");
        Files.writeString(config, Files.readString(config).replaceFirst("\\{", "{\"image_aspect_ratio\": \"pad\","));
        float[] crop = c.array("pixel_values_clip_processor.npy").data();
        try (MultimodalModel model = MultimodalModel.load(dir)) {
            assertEquals(ImageAspect.CROP, model.imageAspect());
            assertClose(crop, model.preprocess(ImageDecoder.decode(dir.resolve("image.png"))), 1e-5f, "CLIP processor");
        }
        // --image-aspect pad gives LLaVA-1.5's padded pixels from the same checkpoint.
        try (MultimodalModel model = MultimodalModel.load(dir, null, LoadMode.MMAP, Backends.defaultFactory(),
                ImageAspect.PAD)) {
            assertClose(c.array("pixel_values.npy").data(), model.preprocess(ImageDecoder.decode(dir.resolve(
                    "image.png"))), 1e-5f, "padded on request");
        }
    }

    /** The golden llava-hf case declares LlavaImageProcessor with do_pad; --image-aspect crop overrides it. */
    @org.junit.jupiter.api.Test
    void llavaImageProcessorWithDoPadPadsAndCropOverridesIt() {
        GoldenCase c = GoldenCase.load("llava-hf-f32");
        Path png = c.directory().resolve("image.png");
        try (MultimodalModel model = MultimodalModel.load(c.directory())) {
            assertEquals(ImageAspect.PAD, model.imageAspect());
        }
        try (MultimodalModel model = MultimodalModel.load(c.directory(), null, LoadMode.MMAP,
                Backends.defaultFactory(), ImageAspect.CROP)) {
            assertClose(c.array("pixel_values_clip_processor.npy").data(), model.preprocess(ImageDecoder.decode(png)),
                    1e-5f, "cropped on request");
        }
    }

    /** Original layout: LLaVA's process_images pads only for image_aspect_ratio 'pad'; without it, CLIP's crop. */
    @org.junit.jupiter.api.Test
    void originalLayoutWithoutImageAspectRatioPadCrops(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        GoldenCase c = GoldenCase.load("llava-original-f32");
        Path dir = copyCase(c.directory(), tmp.resolve("llava-original-square"));
        Path config = dir.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"image_aspect_ratio\": \"pad\"",
                "\"image_aspect_ratio\": \"square\""));
        try (MultimodalModel model = MultimodalModel.load(dir)) {
            assertEquals(ImageAspect.CROP, model.imageAspect());
            assertClose(GoldenCase.load("llava-hf-f32").array("pixel_values_clip_processor.npy").data(),
                    model.preprocess(ImageDecoder.decode(dir.resolve("image.png"))), 1e-5f, "original, square");
        }
    }

    private static Path copyCase(Path from, Path to) throws java.io.IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }
}
