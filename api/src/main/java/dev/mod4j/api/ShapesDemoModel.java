package dev.mod4j.api;

import dev.mod4j.loaders.synthetic.ModelCache;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The trained demo models: a miniature LLaVA-1.5 (llava-hf layout; CLIP-style ViT, mlp2x_gelu projector, LLaMA
 * decoder with GQA) trained on the Shapes VQA toy task by {@code examples/train/train_dense.py}, and its p-MoD and
 * γ-MoD fine-tunes ({@code train_mod.py}), shipped in this jar ({@code demo/shapes-llava*}/, each with its SHA256SUMS
 * and training.json) and copied into the cache on first use; the dense one together with a slice of the task's test
 * split ({@code demo-questions/}).
 */
final class ShapesDemoModel {
    static final String RESOURCES = "demo/";
    static final List<String> CHECKPOINT_FILES = List.of("config.json", "model.safetensors", "tokenizer.json",
            "tokenizer_config.json", "preprocessor_config.json", "special_tokens_map.json", "SHA256SUMS",
            "training.json");
    static final String QUESTIONS = "demo-questions/questions.jsonl";

    private ShapesDemoModel() {
    }

    /** The model's directory under {@code cacheRoot} (named after its weights' hash), copied there first if needed. */
    static Path ensure(Path cacheRoot, TrainedDemoModel which) {
        String dir = which.directory() + "/";
        String sums = new String(bytes(dir + "SHA256SUMS"), StandardCharsets.US_ASCII);
        String weightsHash = sums.lines().filter(l -> l.endsWith("  model.safetensors")).findFirst()
                .orElseThrow(() -> new IllegalStateException("SHA256SUMS of the demo model " + which.directory()
                        + " names no model.safetensors"))
                .substring(0, 12);
        return ModelCache.ensure(cacheRoot, which.directory() + "-" + weightsHash, staging -> {
            try {
                for (String file : CHECKPOINT_FILES) {
                    Files.write(staging.resolve(file), bytes(dir + file));
                }
                if (which != TrainedDemoModel.DENSE) {
                    return;
                }
                Path questions = staging.resolve(QUESTIONS);
                Files.createDirectories(questions.getParent().resolve("images"));
                String jsonl = new String(bytes(dir + QUESTIONS), StandardCharsets.UTF_8);
                Files.writeString(questions, jsonl);
                for (String line : jsonl.lines().toList()) {
                    String image = line.replaceAll(".*\"image\": \"([^\"]+)\".*", "$1");
                    Files.write(questions.getParent().resolve(image), bytes(dir + "demo-questions/" + image));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static byte[] bytes(String name) {
        try (InputStream in = ShapesDemoModel.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("the trained demo model's " + name + " is missing from the class path ("
                        + "dev/mod4j/api/" + RESOURCES + name + ")");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
