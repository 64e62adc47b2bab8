package dev.mod4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.synthetic.RandomModelSpec;
import dev.mod4j.loaders.synthetic.RandomModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An original-layout model whose {@code mm_vision_tower} is a hub id that is nowhere on disk: every command that
 * needs the tower says so in one line (the field, the places looked, the flag), none crashes.
 */
class VisionTowerCliTest {
    /** A repository nobody has in their HuggingFace cache. */
    static final String MISSING_HUB_ID = "mod4j-test/clip-vit-nowhere-336";

    @TempDir
    Path tmp;

    /** Tiny original-layout LLaVA; {@code embedded}: the tower's tensors inside the model checkpoint. */
    static Path towerlessModel(Path dir, boolean embedded) throws Exception {
        CheckpointLayout layout = embedded ? CheckpointLayout.LLAVA_ORIGINAL_EMBEDDED_TOWER
                : CheckpointLayout.LLAVA_ORIGINAL;
        RandomModelWriter.write(new RandomModelSpec(RandomModelSpec.tinyLlama(96, 32, 48, 3, 4, 2),
                RandomModelSpec.tinyClip(24, 40, 2, 2, 28, 14), layout, DType.F32,
                RandomModelSpec.Routers.NONE, List.of(), Long.MAX_VALUE, 11, 0.1f), dir);
        Path towerDir = dir.resolve(RandomModelWriter.ORIGINAL_TOWER_DIRECTORY);
        if (Files.exists(towerDir)) {
            try (var walk = Files.walk(towerDir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        config.put("mm_vision_tower", MISSING_HUB_ID);
        Files.writeString(dir.resolve("config.json"), config.toPrettyString());
        return dir;
    }

    @Test
    void aMissingTowerIsOneLineNamingTheFieldThePlacesLookedAndTheFlag() throws Exception {
        String model = towerlessModel(tmp.resolve("towerless"), false).toString();
        Path png = CliTest.golden("llava-hf-f32").resolve("image.png");
        CliRun generate = CliRun.of("generate", "--model", model, "--input-ids", "1,-200,5", "--image", png.toString(),
                "--greedy", "--max-new-tokens", "1", "--print-ids");
        CliTest.assertBadInput(generate, "mod4j: --vision-tower: ", "mm_vision_tower '" + MISSING_HUB_ID + "'",
                "looked in", "models--mod4j-test--clip-vit-nowhere-336", "clip-vit-nowhere-336");
        CliRun forward = CliRun.of("forward", "--model", model, "--input-ids", "1,-200,5", "--pixel-values",
                CliTest.golden("llava-hf-f32").resolve("pixel_values.npy").toString(), "--logits-out",
                tmp.resolve("l.npy").toString());
        CliTest.assertBadInput(forward, "mod4j: --vision-tower: ", "mm_vision_tower '" + MISSING_HUB_ID + "'");
        // Text alone needs no tower.
        CliRun text = CliRun.of("generate", "--model", model, "--input-ids", "1,2,5", "--greedy",
                "--max-new-tokens", "1", "--print-ids");
        assertEquals(0, text.exitCode(), text.err());
        CliRun inspect = CliRun.of("inspect", "--model", model);
        assertEquals(0, inspect.exitCode(), inspect.err());
        assertMentions(inspect.out(), "tower       not found: " + MISSING_HUB_ID, "looked in",
                "(pass --vision-tower DIR)");
    }

    @Test
    void anEmbeddedTowerOfAnUnknownNameWithoutConfigIsOneLineNotACrash() throws Exception {
        String model = towerlessModel(tmp.resolve("embedded"), true).toString();
        for (String command : List.of("inspect", "forward", "generate")) {
            CliRun run = switch (command) {
                case "inspect" -> CliRun.of("inspect", "--model", model);
                case "forward" -> CliRun.of("forward", "--model", model, "--input-ids", "1,2,5", "--logits-out",
                        tmp.resolve("l.npy").toString());
                default -> CliRun.of("generate", "--model", model, "--input-ids", "1,2,5", "--greedy",
                        "--max-new-tokens", "1", "--print-ids");
            };
            CliTest.assertBadInput(run, "mod4j: --vision-tower: ", "mm_vision_tower '" + MISSING_HUB_ID + "'",
                    "embedded", "looked in");
        }
    }
}
