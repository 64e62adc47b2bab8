package dev.mod4j.api;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The offline demo's model and image, for notebooks and programs: {@code Llava.open(DemoAssets.model())}. The model
 * has random, untrained weights (its answers are noise); it is written on first use into {@code $MOD4J_CACHE} or
 * {@code ~/.cache/mod4j}.
 */
public final class DemoAssets {
    /** The question the demo asks. */
    public static final String QUESTION = "What is shown in this picture?";

    private DemoAssets() {
    }

    /** The demo model's directory under the default cache, written there first if needed. */
    public static Path model() {
        return DemoModel.ensure(DemoModel.defaultCacheRoot());
    }

    /** The demo model's directory under {@code cacheRoot}, written there first if needed. */
    public static Path model(Path cacheRoot) {
        return DemoModel.ensure(cacheRoot);
    }

    /**
     * The trained demo model under the default cache: a miniature LLaVA-1.5 (llava-hf layout) trained on the Shapes
     * VQA toy task (examples/train), copied there from the jar first if needed. Its answers are real.
     */
    public static Path trainedModel() {
        return ShapesDemoModel.ensure(DemoModel.defaultCacheRoot(), TrainedDemoModel.DENSE);
    }

    /** The trained demo model's directory under {@code cacheRoot}, copied there first if needed. */
    public static Path trainedModel(Path cacheRoot) {
        return ShapesDemoModel.ensure(cacheRoot, TrainedDemoModel.DENSE);
    }

    /**
     * One of the trained demo models (the dense one, or its p-MoD or γ-MoD fine-tune, whose routers the {@code pmod}
     * and {@code gmod} schedules read) under {@code cacheRoot}, copied there first if needed.
     */
    public static Path trainedModel(Path cacheRoot, TrainedDemoModel which) {
        return ShapesDemoModel.ensure(cacheRoot, which);
    }

    /**
     * The slice of the Shapes VQA test split that comes with {@link #trainedModel}: a LLaVA-format question file
     * (question_id, image, text, answer, type) with its images beside it, for {@code mod4j eval}.
     */
    public static Path trainedModelQuestions(Path trainedModel) {
        return trainedModel.resolve(ShapesDemoModel.QUESTIONS);
    }

    /** The default cache root: {@code $MOD4J_CACHE}, else {@code ~/.cache/mod4j}. */
    public static Path cacheRoot() {
        return DemoModel.defaultCacheRoot();
    }

    /** The bundled demo picture (336×336: a house, a tree, a lake with a boat), drawn by
     * examples/scripts/DrawDemoImage.java. */
    public static RgbImage picture() {
        try (InputStream in = DemoAssets.class.getResourceAsStream("demo/demo-image.png")) {
            if (in == null) {
                throw new IllegalStateException("the demo image is missing from the class path"
                        + " (dev/mod4j/api/demo/demo-image.png)");
            }
            BufferedImage image = ImageIO.read(in);
            return RgbImage.of(image);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the bundled demo image", e);
        }
    }

    /** The demo picture as model input (preprocessed by the model as LLaVA-1.5 does). */
    public static ImageInput image() {
        return ImageInput.ofPicture("demo-image.png", picture());
    }

    /** Real checkpoints mod4j reads, one line each: what to download and point {@code --model} at. */
    public static List<String> realCheckpoints() {
        return DemoModel.realCheckpointHints();
    }
}
