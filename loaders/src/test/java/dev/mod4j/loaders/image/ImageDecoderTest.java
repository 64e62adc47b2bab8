package dev.mod4j.loaders.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Decoding against PIL's {@code Image.open(f).convert("RGB")}, and every kind of file that must be refused. */
class ImageDecoderTest {
    @TempDir
    Path dir;

    static List<ImageGolden.Input> inputs() {
        return ImageGolden.inputs();
    }

    /**
     * Identical bytes, JPEG included: ImageIO's raw components (the JDK's bundled IJG libjpeg: integer IDCT, fancy
     * upsampling) with libjpeg's integer YCbCr → RGB give exactly what PIL's libjpeg-turbo 2.1 gives for every
     * golden JPEG (baseline 4:2:0 and 4:4:4, progressive, gray, RGB-coded, with ICC profiles). Should a future JDK
     * change its decoder, up to a few levels of difference would be expected here, not more.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void decodesAsPilDoes(ImageGolden.Input input) {
        DecodedImage mine = ImageDecoder.decode(ImageGolden.file(input.file()));
        DecodedImage pil = ImageDecoder.decode(ImageGolden.file(input.decoded()));
        assertEquals(pil.width(), mine.width(), input.file());
        assertEquals(pil.height(), mine.height(), input.file());
        int max = ImageGolden.maxLevelDiff(pil, mine);
        int differing = ImageGolden.differingSamples(pil, mine);
        System.out.printf("image decode %-28s %dx%d: %d of %d samples differ from PIL, max %d levels%n",
                input.file(), mine.width(), mine.height(), differing, mine.rgb().length, max);
        assertEquals(0, max, input.file() + " (" + input.description() + ")");
    }

    @Test
    void formatComesFromTheBytesNotTheName() throws Exception {
        Path pngNamedJpg = dir.resolve("really_a_png.jpg");
        Files.copy(ImageGolden.file("inputs/wide_50x38.png"), pngNamedJpg);
        Path jpgNamedPng = dir.resolve("really_a_jpeg.png");
        Files.copy(ImageGolden.file("inputs/photo_400x300.jpg"), jpgNamedPng);
        assertTrue(ImageDecoder.decode(pngNamedJpg).samePixels(ImageDecoder.decode(ImageGolden.file("inputs/wide_50x38.png"))));
        assertTrue(ImageDecoder.decode(jpgNamedPng).samePixels(ImageDecoder.decode(ImageGolden.file("inputs/photo_400x300.jpg"))));
        assertEquals(ImageDecoder.Format.PNG, ImageDecoder.detect(Files.readAllBytes(pngNamedJpg)));
        assertEquals(ImageDecoder.Format.JPEG, ImageDecoder.detect(Files.readAllBytes(jpgNamedPng)));
        assertEquals(null, ImageDecoder.detect("GIF89a".getBytes(StandardCharsets.US_ASCII)));
    }

    private String refusal(Path file) {
        return assertThrows(ImageFormatException.class, () -> ImageDecoder.decode(file)).getMessage();
    }

    private Path writeWithImageIO(String format, String name) throws Exception {
        BufferedImage image = new BufferedImage(8, 6, BufferedImage.TYPE_INT_RGB);
        image.setRGB(1, 1, 0x336699);
        Path p = dir.resolve(name);
        assertTrue(ImageIO.write(image, format, p.toFile()), "ImageIO wrote no " + format);
        return p;
    }

    @Test
    void gifIsRefused() throws Exception {
        assertMentions(refusal(writeWithImageIO("gif", "anim.gif")), "anim.gif", "not a PNG or JPEG image", "GIF");
    }

    @Test
    void bmpIsRefused() throws Exception {
        assertMentions(refusal(writeWithImageIO("bmp", "old.bmp")), "old.bmp", "not a PNG or JPEG image", "BMP");
    }

    @Test
    void webpAndTiffAreRefused() throws Exception {
        Path webp = dir.resolve("photo.webp");
        Files.write(webp, "RIFF\u0024\0\0\0WEBPVP8 ".getBytes(StandardCharsets.ISO_8859_1));
        assertMentions(refusal(webp), "photo.webp", "not a PNG or JPEG image", "WebP");
        Path tiff = dir.resolve("scan.png");
        Files.write(tiff, new byte[] {'I', 'I', '*', 0, 8, 0, 0, 0});
        assertMentions(refusal(tiff), "scan.png", "not a PNG or JPEG image", "TIFF");
    }

    @Test
    void textIsRefused() throws Exception {
        Path text = dir.resolve("notes.png");
        Files.writeString(text, "this is not an image\n");
        assertMentions(refusal(text), "notes.png", "not a PNG or JPEG image", "text");
    }

    @Test
    void emptyFileIsRefused() throws Exception {
        Path empty = dir.resolve("empty.jpg");
        Files.write(empty, new byte[0]);
        assertMentions(refusal(empty), "empty.jpg", "empty file");
    }

    @Test
    void missingFileAndDirectoryAreRefused() {
        assertMentions(refusal(dir.resolve("nope.png")), "nope.png", "no such file");
        assertMentions(refusal(dir), dir.toString(), "directory");
    }

    private Path truncated(String input, String name, double fraction) throws Exception {
        byte[] all = Files.readAllBytes(ImageGolden.file(input));
        Path p = dir.resolve(name);
        Files.write(p, Arrays.copyOf(all, (int) (all.length * fraction)));
        return p;
    }

    @Test
    void truncatedPngIsRefused() throws Exception {
        assertMentions(refusal(truncated("inputs/wide_50x38.png", "cut.png", 0.5)), "cut.png", "truncated or corrupt PNG");
        // Cut inside the header: 20 of IHDR's 33 bytes.
        byte[] all = Files.readAllBytes(ImageGolden.file("inputs/wide_50x38.png"));
        Path header = dir.resolve("cut_header.png");
        Files.write(header, Arrays.copyOf(all, 20));
        assertMentions(refusal(header), "cut_header.png", "PNG");
    }

    @Test
    void truncatedJpegIsRefused() throws Exception {
        // libjpeg only warns ("Premature end of JPEG file") and fills in grey; PIL raises, so does mod4j.
        assertMentions(refusal(truncated("inputs/photo_400x300.jpg", "cut.jpg", 0.5)), "cut.jpg",
                "truncated or corrupt JPEG");
        assertMentions(refusal(truncated("inputs/photo_400x300.jpg", "cut_early.jpg", 0.05)), "cut_early.jpg", "JPEG");
    }

    @Test
    void corruptPngDataIsRefused() throws Exception {
        byte[] png = Files.readAllBytes(ImageGolden.file("inputs/wide_50x38.png"));
        int idat = indexOf(png, "IDAT".getBytes(StandardCharsets.US_ASCII));
        for (int i = idat + 10; i < idat + 60; i++) {
            png[i] ^= (byte) 0x5A;
        }
        Path p = dir.resolve("garbled.png");
        Files.write(p, png);
        assertMentions(refusal(p), "garbled.png", "truncated or corrupt PNG");
    }

    @Test
    void cmykJpegIsRefusedClearly() {
        assertMentions(refusal(ImageGolden.file("inputs/refused_cmyk_20x16.jpg")), "refused_cmyk_20x16.jpg",
                "4 colour components", "CMYK");
    }

    private static byte[] chunk(String type, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(12 + data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        b.putInt(data.length).put(t).put(data).putInt((int) crc.getValue());
        return b.array();
    }

    /** A PNG whose header claims {@code width x height} RGB pixels, followed by a few bytes of image data. */
    private Path lyingPng(String name, int width, int height) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        out.write(chunk("IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0).array()));
        out.write(chunk("IDAT", new byte[] {0x78, (byte) 0x9C, 0x63, 0, 0, 0, 1, 0, 1}));
        out.write(chunk("IEND", new byte[0]));
        Path p = dir.resolve(name);
        Files.write(p, out.toByteArray());
        return p;
    }

    @Test
    void decompressionBombPngIsRefusedBeforeDecoding() throws Exception {
        Path bomb = lyingPng("bomb.png", 100_000, 100_000);
        long start = System.nanoTime();
        String message = refusal(bomb);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertMentions(message, "bomb.png", "100000x100000", "10000000000 pixels", "exceeds the limit of 89478485");
        assertTrue(millis < 2000, "refusing took " + millis + " ms");
        assertEquals(List.of(100_000, 100_000), Arrays.stream(new ImageDecoder(Long.MAX_VALUE).readSize(bomb)).boxed().toList());
    }

    @Test
    void lyingPngWithinTheLimitFailsCleanly() throws Exception {
        // 9000 x 9000 is under the limit: decoding starts, runs out of data and says so.
        assertMentions(refusal(lyingPng("liar.png", 9000, 9000)), "liar.png", "truncated or corrupt PNG");
    }

    @Test
    void decompressionBombJpegIsRefusedBeforeDecoding() throws Exception {
        byte[] jpeg = Files.readAllBytes(ImageGolden.file("inputs/photo_400x300.jpg"));
        int sof = indexOf(jpeg, new byte[] {(byte) 0xFF, (byte) 0xC0});
        // SOF0: FF C0, length (2), precision (1), height (2), width (2).
        jpeg[sof + 5] = (byte) 0xEA;
        jpeg[sof + 6] = (byte) 0x60;
        jpeg[sof + 7] = (byte) 0xEA;
        jpeg[sof + 8] = (byte) 0x60;
        Path bomb = dir.resolve("bomb.jpg");
        Files.write(bomb, jpeg);
        long start = System.nanoTime();
        String message = refusal(bomb);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertMentions(message, "bomb.jpg", "60000x60000", "exceeds the limit");
        assertTrue(millis < 2000, "refusing took " + millis + " ms");
    }

    @Test
    void pixelLimitIsConfigurable() {
        Path photo = ImageGolden.file("inputs/photo_400x300.jpg");
        assertMentions(assertThrows(ImageFormatException.class, () -> new ImageDecoder(119_999).read(photo))
                .getMessage(), "photo_400x300.jpg", "400x300", "exceeds the limit of 119999 pixels");
        assertEquals(400, new ImageDecoder(120_000).read(photo).width());
        assertThrows(IllegalArgumentException.class, () -> new ImageDecoder(0));
    }

    @Test
    void fourThousandByThreeThousandJpegDecodesQuickly() throws Exception {
        BufferedImage image = new BufferedImage(4000, 3000, BufferedImage.TYPE_3BYTE_BGR);
        byte[] data = ((java.awt.image.DataBufferByte) image.getRaster().getDataBuffer()).getData();
        java.util.Random random = new java.util.Random(3);
        for (int y = 0, i = 0; y < 3000; y++) {
            for (int x = 0; x < 4000; x++, i += 3) {
                data[i] = (byte) (x / 16 + random.nextInt(8));
                data[i + 1] = (byte) (y / 12 + random.nextInt(8));
                data[i + 2] = (byte) ((x + y) / 28);
            }
        }
        Path jpeg = dir.resolve("big.jpg");
        assertTrue(ImageIO.write(image, "jpeg", jpeg.toFile()));
        long best = Long.MAX_VALUE;
        DecodedImage decoded = null;
        for (int run = 0; run < 3; run++) {
            long start = System.nanoTime();
            decoded = ImageDecoder.decode(jpeg);
            best = Math.min(best, System.nanoTime() - start);
        }
        System.out.printf("image decode 4000x3000 JPEG (%d bytes): %.0f ms (best of 3)%n", Files.size(jpeg), best / 1e6);
        assertEquals(4000, decoded.width());
        assertTrue(best < 10_000_000_000L, "took " + best / 1e6 + " ms");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
