package dev.mod4j.loaders.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mod4j.loaders.npy.NpyArray;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** The golden data written by {@code src/test/resources/image/generate_image_golden.py}. */
final class ImageGolden {
    private ImageGolden() {
    }

    static final Path DIR = locate();
    private static final JsonNode MANIFEST = readManifest();

    private static Path locate() {
        try {
            return Path.of(ImageGolden.class.getResource("/image/manifest.json").toURI()).getParent();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("image/manifest.json is not on the test class path", e);
        }
    }

    private static JsonNode readManifest() {
        try {
            return new ObjectMapper().readTree(DIR.resolve("manifest.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * One preprocessing case: an input, a preprocessor_config.json, the pad flag and PIL's results.
     *
     * @param processorDecides the pad flag is what the processor named in the config does (transformers'
     *                         CLIPImageProcessor or LlavaImageProcessor), not a choice of the caller
     */
    record Case(String id, String image, String pixelsFrom, boolean pad, String configJson, String expected,
                String resized, boolean processorDecides) {
        @Override
        public String toString() {
            return id;
        }
    }

    /** An input image and PIL's convert("RGB") of it. */
    record Input(String file, String decoded, String description) {
        @Override
        public String toString() {
            return file;
        }
    }

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        for (JsonNode c : MANIFEST.get("cases")) {
            out.add(new Case(c.get("id").asText(), c.get("image").asText(), c.get("pixels_from").asText(),
                    c.get("pad").asBoolean(), c.get("config").toString(), c.get("expected").asText(),
                    c.has("resized") ? c.get("resized").asText() : null,
                    c.path("processor").asBoolean(false)));
        }
        return out;
    }

    static List<Input> inputs() {
        List<Input> out = new ArrayList<>();
        for (JsonNode i : MANIFEST.get("images")) {
            out.add(new Input(i.get("file").asText(), i.get("decoded").asText(), i.get("description").asText()));
        }
        return out;
    }

    static Path file(String relative) {
        return DIR.resolve(relative);
    }

    /** A gzip-compressed .npy file, unpacked next to the tests' temporary files and read with NpyArray. */
    static NpyArray readNpyGz(String relative, Path tempDir) {
        Path gz = file(relative);
        Path npy = tempDir.resolve(gz.getFileName().toString().replace(".gz", ""));
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
            Files.copy(in, npy, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return NpyArray.read(npy);
    }

    static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            float d = Math.abs(a[i] - b[i]);
            if (!(d <= max)) {
                max = Float.isNaN(d) ? Float.NaN : d;
                if (Float.isNaN(d)) {
                    return d;
                }
            }
        }
        return max;
    }

    /** Largest difference between two same-size images, in levels. */
    static int maxLevelDiff(DecodedImage a, DecodedImage b) {
        if (a.width() != b.width() || a.height() != b.height()) {
            throw new AssertionError("sizes differ: " + a + " vs " + b);
        }
        int max = 0;
        for (int i = 0; i < a.rgb().length; i++) {
            max = Math.max(max, Math.abs((a.rgb()[i] & 0xFF) - (b.rgb()[i] & 0xFF)));
        }
        return max;
    }

    /** How many bytes differ. */
    static int differingSamples(DecodedImage a, DecodedImage b) {
        int n = 0;
        for (int i = 0; i < a.rgb().length; i++) {
            n += a.rgb()[i] != b.rgb()[i] ? 1 : 0;
        }
        return n;
    }
}
