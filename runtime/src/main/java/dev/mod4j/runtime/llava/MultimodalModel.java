package dev.mod4j.runtime.llava;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.ModelConfig;
import dev.mod4j.loaders.config.MultimodalConfig;
import dev.mod4j.loaders.image.DecodedImage;
import dev.mod4j.loaders.image.ImageAspect;
import dev.mod4j.loaders.image.ImagePreprocessor;
import dev.mod4j.loaders.image.PreprocessorConfig;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.runtime.backend.Backend;
import dev.mod4j.runtime.backend.Backends;
import dev.mod4j.runtime.backend.ModelParts;
import dev.mod4j.runtime.backend.VisionParts;
import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.vision.ClipVisionTower;
import dev.mod4j.runtime.weights.ClipVisionWeights;
import dev.mod4j.runtime.weights.ProjectorWeights;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A LLaVA model (CLIP vision tower → projector → LLaMA decoder), or a plain LLaMA when the checkpoint has no tower.
 * Immutable and shareable; sessions come from {@link #decoder()}.
 */
public final class MultimodalModel implements AutoCloseable {
    private final LlamaModel decoder;
    private final ClipVisionTower tower;
    private final ProjectorWeights projector;
    private final MultimodalConfig multimodal;
    private final ImagePreprocessor preprocessor;
    private final ImageAspect imageAspect;

    private MultimodalModel(LlamaModel decoder, ClipVisionTower tower, ProjectorWeights projector,
                            MultimodalConfig multimodal, ImagePreprocessor preprocessor, ImageAspect imageAspect) {
        this.decoder = decoder;
        this.tower = tower;
        this.projector = projector;
        this.multimodal = multimodal;
        this.preprocessor = preprocessor;
        this.imageAspect = imageAspect;
    }

    public static MultimodalModel load(Path directory) {
        return load(directory, null, LoadMode.MMAP);
    }

    /** @param visionTower the CLIP checkpoint of an original-layout LLaVA, when mm_vision_tower is not on disk */
    public static MultimodalModel load(Path directory, Path visionTower, LoadMode mode) {
        return load(directory, visionTower, mode, Backends.defaultFactory());
    }

    /**
     * As {@link #load(Path, Path, LoadMode)} on the given backend (e.g. {@code Backends.factory("tornadovm", null)}),
     * which runs the vision tower and projector as well as the decoder.
     */
    public static MultimodalModel load(Path directory, Path visionTower, LoadMode mode,
                                       Function<ModelParts, Backend> backendFactory) {
        return load(directory, visionTower, mode, backendFactory, null);
    }

    /**
     * As {@link #load(Path, Path, LoadMode, Function)}, with images padded or cropped as {@code imageAspect} says
     * (null: as the checkpoint's own software does, see {@link ImageAspect#of}).
     */
    public static MultimodalModel load(Path directory, Path visionTower, LoadMode mode,
                                       Function<ModelParts, Backend> backendFactory, ImageAspect imageAspect) {
        ModelFiles files = ModelFiles.open(directory, visionTower, mode);
        ModelConfig config = files.config();
        if (!config.isMultimodal()) {
            return new MultimodalModel(LlamaModel.load(files, backendFactory), null, null, null, null, null);
        }
        ProjectorWeights projector;
        VisionParts vision = null;
        ImagePreprocessor preprocessor = null;
        ImageAspect aspect = null;
        try {
            if (files.vision() != null) {
                vision = new VisionParts(config.vision(),
                        ClipVisionWeights.load(files.vision(), files.layout(), config.vision()), null);
                PreprocessorConfig pp = preprocessorConfig(directory, config);
                preprocessor = new ImagePreprocessor(pp);
                aspect = imageAspect != null ? imageAspect : ImageAspect.of(config.family(), config.multimodal(), pp);
            }
            projector = ProjectorWeights.load(files.language(), files.layout(), config.multimodal());
        } catch (RuntimeException e) {
            files.close();
            throw e;
        }
        if (vision != null) {
            vision = new VisionParts(vision.config(), vision.tower(), projector);
        }
        LlamaModel decoder = LlamaModel.load(files, vision, backendFactory);
        ClipVisionTower tower = vision == null ? null : new ClipVisionTower(config.vision(), decoder.backend().vision());
        return new MultimodalModel(decoder, tower, projector, config.multimodal(), preprocessor, aspect);
    }

    /**
     * The model's preprocessor_config.json (llava-hf: beside config.json; original LLaVA: in the CLIP tower's
     * directory, else beside config.json), else CLIP's defaults for the tower's image size.
     */
    private static PreprocessorConfig preprocessorConfig(Path directory, ModelConfig config) {
        int size = config.vision().imageSize();
        Path own = directory.resolve(PreprocessorConfig.FILE_NAME);
        PreprocessorConfig pp;
        if (java.nio.file.Files.exists(own)) {
            pp = PreprocessorConfig.read(own);
        } else if (config.visionTowerDirectory() != null) {
            pp = PreprocessorConfig.forDirectory(config.visionTowerDirectory(), size);
        } else {
            pp = PreprocessorConfig.clipDefaults(size);
        }
        return pp;
    }

    /** Decoded image → the tower's pixel values, padded to a square or not as {@link #imageAspect()} says. */
    public float[] preprocess(DecodedImage image) {
        requireVision();
        float[] pixels = preprocessor.preprocess(image, imageAspect == ImageAspect.PAD);
        int expected = 3 * tower.config().imageSize() * tower.config().imageSize();
        if (pixels.length != expected) {
            throw new InvalidInputException(PreprocessorConfig.FILE_NAME, "crop_size gives " + pixels.length / 3
                    + " pixels per channel, but the vision tower takes " + tower.config().imageSize() + "×"
                    + tower.config().imageSize());
        }
        return pixels;
    }

    /** Whether images are padded to a square or centre-cropped; null without a vision tower. */
    public ImageAspect imageAspect() {
        return imageAspect;
    }

    public LlamaModel decoder() {
        return decoder;
    }

    public boolean hasVision() {
        return tower != null;
    }

    public MultimodalConfig multimodalConfig() {
        return multimodal;
    }

    public ClipVisionConfig visionConfig() {
        return tower == null ? null : tower.config();
    }

    public ProjectorWeights projector() {
        return projector;
    }

    /** The projector over {@code rows} selected vision feature rows, on the model's backend. */
    public float[] project(float[] features, int rows) {
        requireVision();
        return decoder.backend().vision().project(features, rows);
    }

    /** Feature rows one image becomes in the decoder (patches, plus the class token with the "full" strategy). */
    public int rowsPerImage() {
        requireVision();
        return multimodal.visionFeatureSelectStrategy().equals("full") ? tower.tokens() : tower.tokens() - 1;
    }

    /** The id that marks an image in input ids (llava-hf: image_token_index; original LLaVA: -200). */
    public int imagePlaceholderId() {
        requireVision();
        return multimodal.imageTokenIndex();
    }

    /** The selected vision features of one preprocessed image [rowsPerImage × vision hidden], before the projector. */
    public float[] visionFeatures(float[] pixelValues, BiConsumer<Integer, float[]> hiddenStateObserver) {
        requireVision();
        float[] states = tower.hiddenState(pixelValues, multimodal.visionFeatureLayer(), hiddenStateObserver);
        if (multimodal.visionFeatureSelectStrategy().equals("full")) {
            return states;
        }
        // "default": drop the class token's row.
        return Arrays.copyOfRange(states, tower.config().hiddenSize(), states.length);
    }

    /** Vision tower + projector: the decoder-ready rows of one preprocessed image. */
    public float[] imageEmbeddings(float[] pixelValues) {
        return project(visionFeatures(pixelValues, null), rowsPerImage());
    }

    /** Input ids with image placeholders plus preprocessed images → the decoder's prompt rows. */
    public PromptRows prompt(int[] inputIds, List<float[]> pixelValues) {
        if (pixelValues.isEmpty()) {
            if (tower != null) {
                for (int id : inputIds) {
                    if (id == multimodal.imageTokenIndex()) {
                        throw new InvalidInputException("prompt", "contains an image placeholder but no image was given");
                    }
                }
            }
            return PromptRows.ofTokens(inputIds);
        }
        requireVision();
        List<float[]> embeddings = pixelValues.stream().map(this::imageEmbeddings).toList();
        return PromptRows.merge(inputIds, multimodal.imageTokenIndex(), embeddings, rowsPerImage(),
                decoder.config().hiddenSize());
    }

    private void requireVision() {
        if (tower == null) {
            if (multimodal == null) {
                throw new InvalidInputException(decoder.files().language().directory().toString(),
                        "is a text-only model; it cannot take images");
            }
            var lookup = decoder.files().config().visionTowerLookup();
            throw new InvalidInputException("vision tower", "mm_vision_tower '" + multimodal.visionTower()
                    + "' was not found (looked in " + (lookup == null ? "nothing" : lookup.searchedList())
                    + "); give the CLIP checkpoint's directory");
        }
    }

    @Override
    public void close() {
        decoder.close();
    }
}
