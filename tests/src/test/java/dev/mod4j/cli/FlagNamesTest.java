package dev.mod4j.cli;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.synthetic.RandomModelSpec;
import dev.mod4j.loaders.synthetic.RandomModelWriter;
import dev.mod4j.runtime.generate.PromptTemplate;
import dev.mod4j.runtime.generate.SamplingOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine names neutral sources; the CLI prints the flag the user typed in their place. */
class FlagNamesTest {
    @TempDir
    Path tmp;

    @Test
    void engineErrorsArePrintedWithTheFlagInPlaceOfTheSource() {
        InvalidInputException temperature = assertThrows(InvalidInputException.class,
                () -> new SamplingOptions(-1, 0, 1, 0));
        assertEquals("temperature: must be a finite number >= 0, got -1.0", temperature.getMessage());
        assertEquals("mod4j: --temperature: must be a finite number >= 0, got -1.0", FlagNames.message(temperature));

        InvalidInputException template = assertThrows(InvalidInputException.class,
                () -> PromptTemplate.byName("chatml"));
        assertTrue(FlagNames.message(template).startsWith("mod4j: --template: unknown template 'chatml' (known: "),
                FlagNames.message(template));

        assertEquals("mod4j: --vision-tower: the vision tower was not found (clip); give the CLIP checkpoint's"
                + " directory", FlagNames.message(new InvalidInputException("vision tower",
                "the vision tower was not found (clip); give the CLIP checkpoint's directory")));
        assertEquals("mod4j: --schedule: unknown method 'xyz'",
                FlagNames.message(new InvalidInputException("schedule spec", "unknown method 'xyz'")));
        assertEquals("mod4j: --input-ids: token id 999 at index 1 is outside the vocabulary",
                FlagNames.message(new InvalidInputException("input ids",
                        "token id 999 at index 1 is outside the vocabulary")));
    }

    @Test
    void sourcesWithoutAFlagArePrintedAsTheyAre() {
        assertEquals("mod4j: config.json: rms_norm_eps: must be positive", FlagNames.message(
                new InvalidInputException("config.json: rms_norm_eps", "must be positive")));
        // A source equal to a flag's name only as a prefix is not a flag.
        assertEquals("mod4j: temperature.json: not found", FlagNames.message(
                new InvalidInputException("temperature.json", "not found")));
    }

    @Test
    void everyMappedFlagIsAnOptionOfSomeCommand() {
        var commands = new picocli.CommandLine(new Mod4j()).getSubcommands().values();
        for (String flag : FlagNames.OF_SOURCE.values()) {
            assertTrue(commands.stream().anyMatch(c -> c.getCommandSpec().findOption(flag) != null),
                    flag + " is not an option of any mod4j command");
        }
    }

    @Test
    void theCliPrintsTheFlagForAnEngineError() throws Exception {
        String model = CliTest.golden("llama-gqa-f32").toString();
        CliRun topP = CliRun.of("generate", "--model", model, "--input-ids", "1,2", "--temperature", "0.7",
                "--top-p", "1.5");
        CliTest.assertBadInput(topP, "mod4j: --top-p: must be in (0, 1], got 1.5");
        CliRun topK = CliRun.of("generate", "--model", model, "--input-ids", "1,2", "--top-k", "-3");
        CliTest.assertBadInput(topK, "mod4j: --top-k: must be >= 0");
    }

    @Test
    void imageAspectTakesPadOrCropAndNamesItsFlag() throws Exception {
        String model = CliTest.golden("llava-hf-f32").toString();
        String png = CliTest.golden("llava-hf-f32").resolve("image.png").toString();
        CliRun bad = CliRun.of("generate", "--model", model, "--input-ids", "1,383", "--image", png,
                "--greedy", "--max-new-tokens", "1", "--print-ids", "--image-aspect", "stretch");
        CliTest.assertBadInput(bad, "mod4j: --image-aspect: expected pad or crop, got 'stretch'");
        for (String aspect : List.of("pad", "crop")) {
            CliRun ok = CliRun.of("generate", "--model", model, "--input-ids", "1,383", "--image", png,
                    "--greedy", "--max-new-tokens", "1", "--print-ids", "--image-aspect", aspect);
            assertEquals(0, ok.exitCode(), aspect + ": " + ok.err());
        }
    }

    @Test
    void inspectSaysWhichFlagGivesAMissingVisionTower() throws Exception {
        Path towerless = tmp.resolve("towerless");
        RandomModelWriter.write(new RandomModelSpec(RandomModelSpec.tinyLlama(96, 32, 48, 3, 4, 2),
                RandomModelSpec.tinyClip(24, 40, 2, 2, 28, 14), CheckpointLayout.LLAVA_ORIGINAL, DType.F32,
                RandomModelSpec.Routers.NONE, List.of(), Long.MAX_VALUE, 11, 0.1f), towerless);
        try (var walk = Files.walk(towerless.resolve(RandomModelWriter.ORIGINAL_TOWER_DIRECTORY))) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        CliRun run = CliRun.of("inspect", "--model", towerless.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertMentions(run.out(), "tower       not found: ", "(pass --vision-tower DIR)");
        CliRun json = CliRun.of("inspect", "--model", towerless.toString(), "--json");
        assertEquals(0, json.exitCode(), json.err());
        assertTrue(!json.out().contains("--vision-tower"), "the summary itself names no flag: " + json.out());
    }
}
