package dev.mod4j.golden;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.loaders.safetensors.SafetensorsWriter;
import dev.mod4j.runtime.llava.MultimodalModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The tiny Mini-Gemini-HD of the goldens with a part missing or a size that does not divide: refused at load with a
 * message naming what is wrong, before any image.
 */
class MiniGeminiHdLoadErrorsTest {
    @TempDir
    Path dir;

    private Path copy(Predicate<String> keep, String configFrom, String configTo) throws Exception {
        Path source = Path.of(MiniGeminiHdLoadErrorsTest.class.getResource("/golden/mgm-hd/model/config.json").toURI())
                .getParent();
        Path target = dir.resolve("model");
        Files.createDirectories(target.resolve("clip-vision-tower"));
        Files.copy(source.resolve("clip-vision-tower/config.json"), target.resolve("clip-vision-tower/config.json"));
        Files.writeString(target.resolve("config.json"),
                Files.readString(source.resolve("config.json")).replace(configFrom, configTo));
        SafetensorsWriter writer = new SafetensorsWriter();
        try (Checkpoint checkpoint = Checkpoint.open(source)) {
            checkpoint.tensorNames().stream().sorted().filter(keep)
                    .forEach(name -> writer.add(SafetensorsWriter.TensorData.of(checkpoint.tensor(name))));
            writer.write(target.resolve("model.safetensors"));
        }
        return target;
    }

    @Test
    void aCheckpointWithoutTheAuxiliaryTowerIsRefusedNamingTheTensor() throws Exception {
        Path model = copy(name -> !name.startsWith("model.vision_tower_aux."), "", "");
        assertMentions(assertThrows(InvalidInputException.class, () -> MultimodalModel.load(model)).getMessage(),
                "model.vision_tower_aux.vision_stem.0.weight", "auxiliary tower");
    }

    @Test
    void aMissingMiningProjectionIsRefusedNamingTheTensor() throws Exception {
        Path model = copy(name -> !name.startsWith("model.vlm_uni_val_projector.1."), "", "");
        assertMentions(assertThrows(RuntimeException.class, () -> MultimodalModel.load(model)).getMessage(),
                "model.vlm_uni_val_projector.1.weight");
    }

    @Test
    void anAuxiliarySizeThatDoesNotSplitIntoWholeWindowsIsRefused() throws Exception {
        Path model = copy(name -> true, "\"image_size_aux\": 768", "\"image_size_aux\": 640");
        assertMentions(assertThrows(InvalidInputException.class, () -> MultimodalModel.load(model)).getMessage(),
                "image_size_aux", "640", "whole windows");
    }

    @Test
    void classTokenFeaturesAreRefusedForPatchInfoMining() throws Exception {
        Path model = copy(name -> true, "\"mm_vision_select_feature\": \"patch\"",
                "\"mm_vision_select_feature\": \"cls_patch\"");
        assertMentions(assertThrows(InvalidInputException.class, () -> MultimodalModel.load(model)).getMessage(),
                "mm_vision_select_feature", "cls_patch", "Mini-Gemini");
    }
}
