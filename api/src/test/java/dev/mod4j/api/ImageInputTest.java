package dev.mod4j.api;

import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.runtime.llava.MultimodalModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageInputTest {
    @TempDir
    Path tmp;

    @Test
    void pngAndItsPixelValuesAsNpyGiveTheSameInputAndPicture() throws Exception {
        try (MultimodalModel model = MultimodalModel.load(DemoModelFixture.model())) {
            Path png = tmp.resolve("scene.png");
            ImageIO.write(DemoAssets.picture().toBufferedImage(), "png", png.toFile());
            float[] fromPng = ImageInput.of(png).pixelValues(model);
            assertEquals(3 * 112 * 112, fromPng.length);
            Path npy = tmp.resolve("scene.npy");
            new NpyArray(new long[]{1, 3, 112, 112}, fromPng).write(npy);
            assertArrayEquals(fromPng, ImageInput.of(npy).pixelValues(model));
            assertArrayEquals(fromPng, DemoAssets.image().pixelValues(model), "the bundled picture, decoded in memory");

            RgbImage picture = ImageInput.of(npy).picture(model);
            assertEquals(112, picture.width());
            // Normalizing the recovered picture gives the input back, up to 8-bit rounding.
            float[] again = PixelValues.normalize(picture);
            for (int i = 0; i < again.length; i++) {
                assertTrue(Math.abs(again[i] - fromPng[i]) < 0.01f, "value " + i);
            }
        }
    }
}
