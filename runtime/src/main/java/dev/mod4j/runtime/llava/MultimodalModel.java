package dev.mod4j.runtime.llava;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.AnyresSettings;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.LlavaHrConfig;
import dev.mod4j.loaders.config.MiniGeminiConfig;
import dev.mod4j.loaders.config.ModelConfig;
import dev.mod4j.loaders.config.MultimodalConfig;
import dev.mod4j.loaders.image.AnyresPreprocessor;
import dev.mod4j.loaders.image.DecodedImage;
import dev.mod4j.loaders.image.ImageAspect;
import dev.mod4j.loaders.image.ImagePreprocessor;
import dev.mod4j.loaders.image.PreprocessorConfig;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.runtime.backend.Backend;
import dev.mod4j.runtime.backend.Backends;
import dev.mod4j.runtime.backend.ModelParts;
import dev.mod4j.runtime.backend.VisionParts;
import dev.mod4j.runtime.model.LlamaModel;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.prompt.ReducedPrompt;
import dev.mod4j.runtime.vision.ClipLayerView;
import dev.mod4j.runtime.vision.ClipVisionTower;
import dev.mod4j.runtime.backend.HighResolutionEncoder;
import dev.mod4j.runtime.vision.ImageReduction;
import dev.mod4j.runtime.weights.ClipVisionWeights;
import dev.mod4j.runtime.weights.ConvNextWeights;
import dev.mod4j.runtime.weights.MultiPathFusionWeights;
import dev.mod4j.runtime.weights.PatchInfoMiningWeights;
import dev.mod4j.runtime.weights.ProjectorWeights;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.IntStream;

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
    /** LLaVA-NeXT only (null otherwise): tiling, packing and the learned row separator. */
    private final Anyres anyres;

    /** An anyres model's image side: crops from the image, packing of their features, {@code image_newline}. */
    private record Anyres(AnyresPreprocessor preprocessor, AnyresPacking packing, float[] newline) {
    }
    private ClipVisionWeights towerWeights;
    /** LLaVA-HR and Mini-Gemini only (null otherwise): the dual-encoder side whose features replace the CLIP tower's. */
    private HighResolutionEncoder highResolution;

    private MultimodalModel(LlamaModel decoder, ClipVisionTower tower, ProjectorWeights projector,
                            MultimodalConfig multimodal, ImagePreprocessor preprocessor, ImageAspect imageAspect,
                            Anyres anyres) {
        this.decoder = decoder;
        this.tower = tower;
        this.projector = projector;
        this.multimodal = multimodal;
        this.preprocessor = preprocessor;
        this.imageAspect = imageAspect;
        this.anyres = anyres;
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
            return new MultimodalModel(LlamaModel.load(files, backendFactory), null, null, null, null, null, null);
        }
        ProjectorWeights projector;
        VisionParts vision = null;
        ImagePreprocessor preprocessor = null;
        ImageAspect aspect = null;
        Anyres anyres = null;
        try {
            if (files.vision() != null) {
                vision = new VisionParts(config.vision(),
                        ClipVisionWeights.load(files.vision(), files.layout(), config.vision()), null);
                LlavaHrConfig hr = LlavaHrConfig.read(config);
                MiniGeminiConfig mgm = MiniGeminiConfig.read(config);
                // LLaVA-HR's processor is the slow tower's, built in code at input_image_size
                // (convnext_encoder.py's cfg: CLIP's mean/std, bicubic, shortest edge = crop = the size);
                // Mini-Gemini's is the CLIP tower's with size and crop set to image_size_aux (model_vqa_loader.py).
                Integer highResolutionSide = hr != null ? Integer.valueOf(hr.inputImageSize())
                        : mgm != null ? Integer.valueOf(mgm.imageSizeAux()) : null;
                PreprocessorConfig pp = highResolutionSide != null ? PreprocessorConfig.clipDefaults(highResolutionSide)
                        : preprocessorConfig(directory, config);
                int side = highResolutionSide != null ? highResolutionSide : config.vision().imageSize();
                if (pp.doCenterCrop() && (pp.cropHeight() != side || pp.cropWidth() != side)) {
                    // Checked here, before any image: a lying crop_size would otherwise size an allocation first.
                    throw new InvalidInputException(PreprocessorConfig.FILE_NAME, "crop_size " + pp.cropHeight() + "×"
                            + pp.cropWidth() + " does not match the vision tower's " + side + "×" + side + " images");
                }
                preprocessor = new ImagePreprocessor(pp);
                aspect = imageAspect != null ? imageAspect : ImageAspect.of(config.family(), config.multimodal(), pp);
                anyres = anyres(files, config, directory, preprocessor);
                if (anyres != null && imageAspect != null) {
                    throw new InvalidInputException("image aspect", "'" + imageAspect.label() + "' does not apply to"
                            + " a LLaVA-NeXT (anyres) model, which tiles every image on its grid pinpoints");
                }
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
        MultimodalModel model = new MultimodalModel(decoder, tower, projector, config.multimodal(), preprocessor, aspect,
                anyres);
        // Kept for image reductions, which recompute one layer's attention on the host (ClipLayerView).
        model.towerWeights = vision == null ? null : vision.tower();
        LlavaHrConfig hr = vision == null ? null : LlavaHrConfig.read(config);
        MiniGeminiConfig mgm = vision == null ? null : MiniGeminiConfig.read(config);
        if (hr != null || mgm != null) {
            try {
                model.highResolution = hr != null ? llavaHrEncoder(files, hr, vision, decoder.backend())
                        : miniGeminiEncoder(files, mgm, vision, config.multimodal().visionFeatureLayer(),
                        decoder.backend());
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        }
        return model;
    }

    /** Mini-Gemini's vision side from the checkpoint (auxiliary ConvNeXt, patch info mining) on the decoder's backend. */
    private static HighResolutionEncoder miniGeminiEncoder(ModelFiles files, MiniGeminiConfig mgm, VisionParts clip,
                                                           int featureLayer, Backend backend) {
        if (!files.language().contains(CheckpointLayout.MINI_GEMINI_AUX_PREFIX + "stem.0.weight")) {
            throw new InvalidInputException(files.language().directory().toString(), "has no tensor '"
                    + CheckpointLayout.MINI_GEMINI_AUX_PREFIX + "stem.0.weight': mod4j reads Mini-Gemini's auxiliary"
                    + " tower (" + mgm.visionTowerAux() + ") from the model checkpoint, not from OpenCLIP's file");
        }
        ConvNextWeights aux = ConvNextWeights.load(files.language(), CheckpointLayout.MINI_GEMINI_AUX_PREFIX);
        int auxWidth = java.util.Arrays.stream(aux.widths()).sum();
        PatchInfoMiningWeights mining = PatchInfoMiningWeights.load(files.language(),
                CheckpointLayout.MINI_GEMINI_MINING_PREFIX, clip.config().hiddenSize(), auxWidth);
        if (files.config().multimodal().visionFeatureSelectStrategy().equals("full")) {
            // unified_resampler takes the rows as a square grid of patches: a class token row would break it.
            throw new InvalidInputException("mm_vision_select_feature", "'cls_patch' does not apply to Mini-Gemini,"
                    + " whose patch info mining takes the CLIP rows as a square grid of patches ('patch')");
        }
        int layers = clip.config().numHiddenLayers();
        int index = featureLayer < 0 ? layers + 1 + featureLayer : featureLayer;
        if (index < 0 || index > layers) {
            throw new InvalidInputException("mm_vision_select_layer", featureLayer + " is outside the tower's "
                    + layers + " layers");
        }
        HighResolutionEncoder encoder = backend.vision().miniGemini(mgm, index, aux, mining);
        if (encoder == null) {
            throw new InvalidInputException("backend", "Mini-Gemini's vision side (auxiliary ConvNeXt, patch info"
                    + " mining) is not implemented on " + backend.name() + "; use --backend cpu or tornadovm");
        }
        return encoder;
    }

    /** LLaVA-HR's multipath tower from the checkpoint (ConvNeXt slow branch, fusion) on the decoder's backend. */
    private static HighResolutionEncoder llavaHrEncoder(ModelFiles files, LlavaHrConfig hr, VisionParts fast,
                                                        Backend backend) {
        ConvNextWeights slow = ConvNextWeights.load(files.language(), CheckpointLayout.LLAVA_HR_SLOW_PREFIX);
        MultiPathFusionWeights fusion = MultiPathFusionWeights.load(files.language(),
                CheckpointLayout.LLAVA_HR_FUSION_PREFIX, fast.config().hiddenSize(), slow.width(), hr.adapters());
        HighResolutionEncoder encoder = backend.vision().llavaHr(hr, slow, fusion);
        if (encoder == null) {
            throw new InvalidInputException("backend", "LLaVA-HR's dual-branch vision tower is not implemented on "
                    + backend.name() + "; use --backend cpu or tornadovm");
        }
        return encoder;
    }

    /** LLaVA-HR's or Mini-Gemini's dual-encoder side; null for other models. */
    public HighResolutionEncoder highResolutionEncoder() {
        return highResolution;
    }

    /** The anyres side of a LLaVA-NeXT checkpoint, or null for a single-crop model. */
    private static Anyres anyres(ModelFiles files, ModelConfig config, Path directory, ImagePreprocessor crops) {
        AnyresSettings settings = AnyresSettings.of(config, directory.resolve(PreprocessorConfig.FILE_NAME));
        if (settings == null) {
            return null;
        }
        float[] newline = null;
        if (settings.unpadWithNewline()) {
            String name = files.layout().imageNewline();
            if (!files.language().contains(name)) {
                throw new InvalidInputException(files.language().directory().toString(), "tensor " + name
                        + " is missing; a LLaVA-NeXT model with spatial_unpad needs its learned image_newline");
            }
            newline = files.language().tensor(name).toFloatArray();
            int hidden = config.text().hiddenSize();
            if (newline.length != hidden) {
                throw new InvalidInputException(name, "has " + newline.length + " values, the decoder's hidden size"
                        + " is " + hidden);
            }
        }
        int patchesPerSide = config.vision().imageSize() / config.vision().patchSize();
        return new Anyres(new AnyresPreprocessor(crops, settings.pinpoints(), settings.convention()),
                new AnyresPacking(settings, patchesPerSide), newline);
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

    /**
     * Decoded image → what the tower takes: an anyres model's crops (base first, see {@link AnyresPreprocessor}),
     * else one crop as {@link #preprocess(DecodedImage)} makes it.
     */
    public PreprocessedImage preprocessImage(DecodedImage image) {
        requireVision();
        if (anyres != null) {
            return PreprocessedImage.of(anyres.preprocessor().preprocess(image));
        }
        return PreprocessedImage.single(preprocess(image));
    }

    /** The anyres settings (grid pinpoints, convention, merge type) of a LLaVA-NeXT model; null for others. */
    public AnyresSettings anyresSettings() {
        return anyres == null ? null : anyres.packing().settings();
    }

    /** An anyres model's packing (which crop feature each image row comes from); null for others. */
    public AnyresPacking anyresPacking() {
        return anyres == null ? null : anyres.packing();
    }

    /**
     * Decoded image → the tower's pixel values of one crop, padded to a square or not as {@link #imageAspect()}
     * says. An anyres model takes several crops per image: use {@link #preprocessImage(DecodedImage)}.
     */
    public float[] preprocess(DecodedImage image) {
        requireVision();
        if (anyres != null) {
            throw new InvalidInputException("image", "this LLaVA-NeXT (anyres) model takes several crops per image;"
                    + " preprocess it with preprocessImage");
        }
        float[] pixels = preprocessor.preprocess(image, imageAspect == ImageAspect.PAD);
        int side = imageSide();
        if (pixels.length != 3 * side * side) {
            throw new InvalidInputException(PreprocessorConfig.FILE_NAME, "crop_size gives " + pixels.length / 3
                    + " pixels per channel, but the vision tower takes " + side + "×" + side);
        }
        return pixels;
    }

    /** The side of the square pixel values an image becomes (LLaVA-HR: input_image_size; else the tower's). */
    public int imageSide() {
        requireVision();
        return highResolution != null ? highResolution.imageSize() : tower.config().imageSize();
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
        if (highResolution != null) {
            return highResolution.featureRows();
        }
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
        if (highResolution != null) {
            return highResolution.features(pixelValues);
        }
        float[] states = tower.hiddenState(pixelValues, multimodal.visionFeatureLayer(), hiddenStateObserver);
        if (multimodal.visionFeatureSelectStrategy().equals("full")) {
            return states;
        }
        // "default": drop the class token's row.
        return Arrays.copyOfRange(states, tower.config().hiddenSize(), states.length);
    }

    /** Vision tower + projector: the decoder-ready rows of one preprocessed image. */
    public float[] imageEmbeddings(float[] pixelValues) {
        return imageEmbeddings(PreprocessedImage.single(pixelValues));
    }

    /**
     * Vision tower + projector over every crop, then (anyres) the features packed as the checkpoint's software
     * packs them: the decoder-ready rows of one image, {@link #imageRows} of them.
     */
    public float[] imageEmbeddings(PreprocessedImage image) {
        requireVision();
        if (highResolution != null) {
            if (image.isTiled()) {
                throw new InvalidInputException("image", "has " + image.crops() + " crops, but this dual-encoder model takes one"
                        + " image of " + highResolution.imageSize() + "×" + highResolution.imageSize());
            }
            return project(highResolution.features(image.crop(0)), highResolution.featureRows());
        }
        int perCrop = rowsPerImage();
        int visionHidden = tower.config().hiddenSize();
        float[][] crops = new float[image.crops()][];
        for (int c = 0; c < crops.length; c++) {
            crops[c] = image.crop(c);
        }
        // All crops through the tower in one batched pass (the CPU backend runs them as one batch; see
        // VisionEncoder#hiddenStates), then the class token's row of each dropped ("default" strategy).
        float[] states = tower.hiddenStates(crops, multimodal.visionFeatureLayer());
        float[] features;
        if (multimodal.visionFeatureSelectStrategy().equals("full")) {
            features = states;
        } else {
            int tokens = tower.tokens();
            features = new float[Math.multiplyExact(crops.length, perCrop * visionHidden)];
            for (int c = 0; c < crops.length; c++) {
                System.arraycopy(states, (c * tokens + 1) * visionHidden, features, c * perCrop * visionHidden,
                        perCrop * visionHidden);
            }
        }
        float[] projected = project(features, image.crops() * perCrop);
        if (anyres == null) {
            if (image.isTiled()) {
                throw new InvalidInputException("image", "has " + image.crops() + " crops, but this model takes one"
                        + " crop per image (it is not an anyres model)");
            }
            return projected;
        }
        return anyres.packing().pack(projected, image, perCrop, decoder.config().hiddenSize(), anyres.newline());
    }

    /** Decoder rows {@code image} becomes (LLaVA-NeXT: base, unpadded grid and newlines; else one crop's rows). */
    public int imageRows(PreprocessedImage image) {
        requireVision();
        return anyres == null ? rowsPerImage() : anyres.packing().rows(image, rowsPerImage());
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
        return promptWithImages(inputIds, pixelValues.stream().map(PreprocessedImage::single).toList());
    }

    /** Input ids with image placeholders plus preprocessed images (single crops or anyres crops) → prompt rows. */
    public PromptRows promptWithImages(int[] inputIds, List<PreprocessedImage> images) {
        if (images.isEmpty()) {
            return prompt(inputIds, List.of());
        }
        requireVision();
        List<float[]> embeddings = images.stream().map(this::imageEmbeddings).toList();
        int[] rows = images.stream().mapToInt(this::imageRows).toArray();
        return PromptRows.merge(inputIds, multimodal.imageTokenIndex(), embeddings, rows,
                decoder.config().hiddenSize()).withImageReducer(r -> reducedPrompt(inputIds, images, r));
    }

    /**
     * The prompt with each image reduced inside the tower by {@code reduction} (VisionZip): the rows it makes from
     * the layer whose output is selected, projected, in place of the image (docs/methods.md §13). A LLaVA-NeXT image's crops
     * (base and tiles) are each reduced, and the reduction arranges them ({@link ImageReduction#arrangeTiles}) in
     * place of the usual packing. The trace's patch of each image row is then {@code crop · p² + patch}, as
     * {@link AnyresPacking#sourceRows} numbers crop rows, or -1 for a class token.
     */
    public ReducedPrompt reducedPrompt(int[] inputIds, List<PreprocessedImage> images, ImageReduction reduction) {
        requireVision();
        if (highResolution != null) {
            throw new InvalidInputException("schedule", "an image reduction inside the vision tower (VisionZip) is"
                    + " not implemented for the dual-encoder towers (LLaVA-HR, Mini-Gemini)");
        }
        int layers = tower.config().numHiddenLayers();
        int feature = multimodal.visionFeatureLayer();
        int selected = feature < 0 ? layers + 1 + feature : feature;
        if (selected < 1) {
            throw new InvalidInputException("vision_feature_layer", feature + " selects the embeddings; an image"
                    + " reduction needs an encoder layer's output");
        }
        int visionHidden = tower.config().hiddenSize();
        int hidden = decoder.config().hiddenSize();
        int perCrop = tower.tokens() - 1;
        List<float[]> embeddings = new ArrayList<>();
        int[] rowsPerImage = new int[images.size()];
        IntStream.Builder patches = IntStream.builder();
        for (int i = 0; i < images.size(); i++) {
            PreprocessedImage image = images.get(i);
            if (anyres == null && image.isTiled()) {
                throw new InvalidInputException("image", "has " + image.crops() + " crops, but this model takes"
                        + " one crop per image (it is not an anyres model)");
            }
            List<ImageReduction.Reduced> crops = new ArrayList<>();
            for (int c = 0; c < image.crops(); c++) {
                float[][] input = new float[1][];
                float[] output = tower.hiddenState(image.crop(c), selected, (index, state) -> {
                    if (index == selected - 1) {
                        input[0] = state;
                    }
                });
                crops.add(reduction.reduce(new ClipLayerView(tower.config(), towerWeights.layers().get(selected - 1),
                        input[0], output)));
            }
            if (anyres == null) {
                ImageReduction.Reduced reduced = crops.getFirst();
                rowsPerImage[i] = reduced.rows().length / visionHidden;
                embeddings.add(project(reduced.rows(), rowsPerImage[i]));
                Arrays.stream(reduced.patchOfRow()).forEach(patches::add);
                continue;
            }
            int total = crops.stream().mapToInt(r -> r.patchOfRow().length).sum();
            float[] towerRows = new float[Math.multiplyExact(total, visionHidden)];
            int[] patchOfTowerRow = new int[total];
            int o = 0;
            for (int c = 0; c < crops.size(); c++) {
                ImageReduction.Reduced reduced = crops.get(c);
                System.arraycopy(reduced.rows(), 0, towerRows, o * visionHidden, reduced.rows().length);
                for (int patch : reduced.patchOfRow()) {
                    patchOfTowerRow[o++] = patch < 0 ? -1 : c * perCrop + patch;
                }
            }
            float[] projected = project(towerRows, total);
            int[] arrangement = reduction.arrangeTiles(crops, new ImageReduction.TileGrid(image.gridRows(),
                    image.gridColumns(), tower.config().patchesPerSide(),
                    anyres.packing().settings().patchMergeType()));
            float[] packed = new float[Math.multiplyExact(arrangement.length, hidden)];
            for (int r = 0; r < arrangement.length; r++) {
                if (arrangement[r] == ImageReduction.NEWLINE) {
                    System.arraycopy(anyres.newline(), 0, packed, r * hidden, hidden);
                    patches.add(-1);
                } else {
                    System.arraycopy(projected, arrangement[r] * hidden, packed, r * hidden, hidden);
                    patches.add(patchOfTowerRow[arrangement[r]]);
                }
            }
            rowsPerImage[i] = arrangement.length;
            embeddings.add(packed);
        }
        return new ReducedPrompt(PromptRows.merge(inputIds, multimodal.imageTokenIndex(), embeddings, rowsPerImage,
                hidden), patches.build().toArray());
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
