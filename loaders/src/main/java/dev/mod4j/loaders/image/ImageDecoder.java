package dev.mod4j.loaders.image;

import dev.mod4j.loaders.FileLimit;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.SmallFiles;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Reads PNG and JPEG files into 8-bit RGB the way LLaVA's Python code sees them: PIL 9.4's
 * {@code Image.open(path).convert("RGB")}.
 *
 * <p>The format comes from the file's first bytes, never its name. The header is read first and an image of more
 * than {@link #maxPixels()} pixels is refused before any pixel is decoded (PIL's {@code MAX_IMAGE_PIXELS} by
 * default), so a lying header cannot exhaust memory. Conversion to RGB follows PIL:
 * <ul>
 *   <li>grayscale is replicated into R, G and B; 1-, 2- and 4-bit gray is scaled to 0..255 (×255, ×85, ×17);</li>
 *   <li>palette images are expanded through the palette; a tRNS transparency is ignored;</li>
 *   <li>alpha (RGBA, gray+alpha) is dropped, not composited over a background;</li>
 *   <li>16-bit RGB and RGBA keep the high byte of each sample (PIL opens them as 8-bit {@code RGB;16B});</li>
 *   <li>16-bit grayscale is clamped to 0..255, not scaled (PIL opens it as mode {@code I}, and {@code I → RGB}
 *       clips), so most 16-bit gray pixels become white — as in PIL;</li>
 *   <li>EXIF orientation, gamma and ICC profiles are ignored, as {@code Image.open} + {@code convert} does;</li>
 *   <li>CMYK and YCCK JPEGs are refused (PIL would invert Adobe CMYK; mod4j does not reproduce that).</li>
 * </ul>
 * JPEGs are read as raw components (ImageIO's {@code readRaster}: the JDK's bundled IJG libjpeg, integer IDCT,
 * fancy upsampling, no colour conversion) and turned into RGB here with libjpeg's integer YCbCr → RGB, after
 * libjpeg's own guess of the colour space ({@link JpegHeader#codedAsRgb()}). On every golden JPEG this equals PIL's
 * libjpeg-turbo output to the bit; two different JPEG libraries are not promised to agree on every file, though.
 * Reading raw components also keeps the JDK's colour management out: its {@code read} converts JPEGs that carry
 * an ICC profile, PIL does not.
 */
public final class ImageDecoder {
    /** PIL's {@code Image.MAX_IMAGE_PIXELS}: 1024 * 1024 * 1024 // 4 // 3. */
    public static final long DEFAULT_MAX_PIXELS = 89_478_485L;

    /** The formats mod4j reads. */
    public enum Format { PNG, JPEG }

    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private final long maxPixels;

    public ImageDecoder() {
        this(DEFAULT_MAX_PIXELS);
    }

    /** @param maxPixels the largest width × height accepted */
    public ImageDecoder(long maxPixels) {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
        }
        this.maxPixels = maxPixels;
    }

    public long maxPixels() {
        return maxPixels;
    }

    /** Decodes with the default pixel limit. */
    public static DecodedImage decode(Path file) {
        return new ImageDecoder().read(file);
    }

    /** The format named by the first bytes of a file, or null when they are neither PNG's nor JPEG's signature. */
    public static Format detect(byte[] head) {
        if (head.length >= PNG_MAGIC.length) {
            boolean png = true;
            for (int i = 0; i < PNG_MAGIC.length; i++) {
                png &= head[i] == PNG_MAGIC[i];
            }
            if (png) {
                return Format.PNG;
            }
        }
        if (head.length >= 3 && (head[0] & 0xFF) == 0xFF && (head[1] & 0xFF) == 0xD8 && (head[2] & 0xFF) == 0xFF) {
            return Format.JPEG;
        }
        return null;
    }

    /** Reads the width and height from the header only (after the same format checks as {@link #read}). */
    public int[] readSize(Path file) {
        String where = file.toString();
        Format format = formatOf(file, where);
        try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
            ImageReader reader = readerFor(format, where);
            try {
                reader.setInput(in, true, true);
                return header(reader, format, where);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new ImageFormatException(where, "cannot read: " + e.getMessage(), e);
        }
    }

    /** Decodes a PNG or JPEG file into 8-bit RGB. */
    public DecodedImage read(Path file) {
        String where = file.toString();
        Format format = formatOf(file, where);
        try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
            ImageReader reader = readerFor(format, where);
            try {
                reader.setInput(in, true, true);
                int[] size = header(reader, format, where);
                JpegHeader jpeg = null;
                if (format == Format.JPEG) {
                    try {
                        jpeg = JpegHeader.scan(file);
                    } catch (IOException e) {
                        throw corrupt(format, where, e);
                    }
                    if (jpeg.components() != 1 && jpeg.components() != 3) {
                        throw new ImageFormatException(where, "JPEG with " + jpeg.components() + " colour components ("
                                + (jpeg.components() == 4 ? "CMYK or YCCK" : "unusual") + ") is not supported; "
                                + "convert it to an RGB JPEG or a PNG");
                    }
                }
                List<String> truncation = new ArrayList<>();
                reader.addIIOReadWarningListener(truncationListener(truncation));
                ImageReadParam param = reader.getDefaultReadParam();
                BufferedImage image = null;
                Raster jpegRaster = null;
                try {
                    if (format == Format.JPEG) {
                        jpegRaster = reader.readRaster(0, param);
                    } else {
                        image = reader.read(0, param);
                    }
                } catch (IOException e) {
                    throw corrupt(format, where, e);
                } catch (RuntimeException e) {
                    // ImageIO's decoders throw unchecked exceptions on some malformed data.
                    throw corrupt(format, where, e);
                }
                if (!truncation.isEmpty()) {
                    throw new ImageFormatException(where, "truncated or corrupt " + format + ": " + truncation.getFirst());
                }
                Raster raster = jpegRaster != null ? jpegRaster : image.getRaster();
                if (raster.getWidth() != size[0] || raster.getHeight() != size[1]) {
                    throw new ImageFormatException(where, "decoded " + raster.getWidth() + "x" + raster.getHeight()
                            + " pixels, the header says " + size[0] + "x" + size[1]);
                }
                return jpegRaster != null ? jpegToRgb(jpegRaster, !jpeg.codedAsRgb(), where)
                        : pngToRgb(image, image.getColorModel() instanceof IndexColorModel ? pngPaletteEntries(file) : -1,
                        where);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new ImageFormatException(where, "cannot read: " + e.getMessage(), e);
        }
    }

    // libjpeg's YCbCr -> RGB tables (jdcolor.c, build_ycc_rgb_table), shared by libjpeg-turbo: 16 fraction bits.
    private static final int SCALEBITS = 16;
    private static final int[] CR_R = new int[256];
    private static final int[] CB_B = new int[256];
    private static final int[] CR_G = new int[256];
    private static final int[] CB_G = new int[256];

    static {
        long oneHalf = 1L << (SCALEBITS - 1);
        for (int i = 0; i < 256; i++) {
            long x = i - 128;
            CR_R[i] = (int) ((fix(1.40200) * x + oneHalf) >> SCALEBITS);
            CB_B[i] = (int) ((fix(1.77200) * x + oneHalf) >> SCALEBITS);
            CR_G[i] = (int) (-fix(0.71414) * x);
            CB_G[i] = (int) (-fix(0.34414) * x + oneHalf);
        }
    }

    private static long fix(double x) {
        return (long) (x * (1L << SCALEBITS) + 0.5);
    }

    private static byte clamp8(int v) {
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    /**
     * A JPEG's raw decoded components (ImageIO's {@code readRaster}: IDCT and chroma upsampling done, no colour
     * conversion) to RGB, with libjpeg's own integer YCbCr → RGB arithmetic when the file is YCbCr. Reading the raw
     * raster keeps the JDK's colour management out: its {@code read} converts any JPEG carrying an ICC profile
     * (sRGB ones included) from that profile to sRGB, where PIL returns libjpeg's values untouched.
     */
    static DecodedImage jpegToRgb(Raster raster, boolean ycc, String where) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        int bands = raster.getNumBands();
        if (bands != 1 && bands != 3) {
            throw new ImageFormatException(where, "JPEG with " + bands + " components is not supported");
        }
        long bytes = (long) w * h * 3;
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new ImageFormatException(where, w + "x" + h + " is too large to hold as one RGB array");
        }
        byte[] rgb = new byte[(int) bytes];
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
            int o = y * w * 3;
            if (bands == 1) {
                for (int x = 0; x < w; x++) {
                    byte g = (byte) row[x];
                    rgb[o++] = g;
                    rgb[o++] = g;
                    rgb[o++] = g;
                }
            } else if (!ycc) {
                for (int i = 0; i < row.length; i++) {
                    rgb[o + i] = (byte) row[i];
                }
            } else {
                for (int p = 0; p < row.length; p += 3) {
                    int yy = row[p];
                    int cb = row[p + 1];
                    int cr = row[p + 2];
                    rgb[o++] = clamp8(yy + CR_R[cr]);
                    rgb[o++] = clamp8(yy + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS));
                    rgb[o++] = clamp8(yy + CB_B[cb]);
                }
            }
        }
        return new DecodedImage(w, h, rgb);
    }

    private static ImageFormatException corrupt(Format format, String where, Exception e) {
        String message = e.getMessage();
        Throwable cause = e.getCause();
        if (cause != null && cause.getMessage() != null && !cause.getMessage().equals(message)) {
            message = (message == null ? "" : message + ": ") + cause.getMessage();
        }
        if (message == null || message.isBlank() || e instanceof EOFException || cause instanceof EOFException) {
            message = (message == null || message.isBlank() ? "" : message + ": ") + "unexpected end of data";
        }
        return new ImageFormatException(where, "truncated or corrupt " + format + ": " + message, e);
    }

    private static IIOReadWarningListener truncationListener(List<String> sink) {
        // libjpeg reports a short file as a warning ("Premature end of JPEG file") and fills the rest with grey;
        // PIL raises "image file is truncated" there, so mod4j refuses the file too. Other warnings are tolerated.
        return (source, warning) -> {
            String w = warning == null ? "" : warning.toLowerCase(Locale.ROOT);
            if (w.contains("premature end") || w.contains("truncated") || w.contains("end of file")) {
                sink.add(warning);
            }
        };
    }

    private Format formatOf(Path file, String where) {
        byte[] head = new byte[16];
        int n;
        if (!Files.exists(file)) {
            throw new ImageFormatException(where, "no such file");
        }
        if (Files.isDirectory(file)) {
            throw new ImageFormatException(where, "is a directory, not an image file");
        }
        try {
            SmallFiles.checkReadable(file, FileLimit.IMAGE);
        } catch (InvalidInputException e) {
            throw new ImageFormatException(where, e.problem());
        }
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            throw new ImageFormatException(where, "cannot read: " + e.getMessage(), e);
        }
        if (n == 0) {
            throw new ImageFormatException(where, "empty file, not a PNG or JPEG image");
        }
        byte[] got = java.util.Arrays.copyOf(head, n);
        Format format = detect(got);
        if (format == null) {
            String kind = sniff(got);
            throw new ImageFormatException(where, "not a PNG or JPEG image" + (kind == null ? "" : " (" + kind + ")")
                    + "; mod4j reads PNG and JPEG files");
        }
        return format;
    }

    /** What a file that is not PNG or JPEG looks like, for the error message. */
    private static String sniff(byte[] h) {
        if (startsWith(h, "GIF87a") || startsWith(h, "GIF89a")) {
            return "it is a GIF";
        }
        if (startsWith(h, "BM")) {
            return "it looks like a BMP";
        }
        if (startsWith(h, "RIFF") && h.length >= 12 && new String(h, 8, 4, java.nio.charset.StandardCharsets.ISO_8859_1).equals("WEBP")) {
            return "it is a WebP";
        }
        if (startsWith(h, "II*\0") || startsWith(h, "MM\0*")) {
            return "it is a TIFF";
        }
        if (h.length >= 12 && new String(h, 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1).equals("ftyp")) {
            return "it looks like HEIF/AVIF or another ISO media file";
        }
        if (h.length >= 4 && (h[0] & 0xFF) == 0x89 && h[1] == 'P' && h[2] == 'N' && h[3] == 'G') {
            return "PNG signature damaged";
        }
        if (h.length >= 2 && (h[0] & 0xFF) == 0xFF && (h[1] & 0xFF) == 0xD8) {
            return "JPEG signature damaged";
        }
        boolean text = true;
        for (byte b : h) {
            int c = b & 0xFF;
            text &= c == '\n' || c == '\r' || c == '\t' || (c >= 0x20 && c != 0x7F);
        }
        return text ? "it looks like text" : null;
    }

    private static boolean startsWith(byte[] h, String s) {
        if (h.length < s.length()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (h[i] != (byte) s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static ImageReader readerFor(Format format, String where) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format == Format.PNG ? "png" : "jpeg");
        if (!readers.hasNext()) {
            throw new ImageFormatException(where, "this Java runtime has no " + format + " decoder (javax.imageio)");
        }
        return readers.next();
    }

    /** Width and height from the header, checked against the pixel limit before anything else is read. */
    private int[] header(ImageReader reader, Format format, String where) {
        int width;
        int height;
        try {
            width = reader.getWidth(0);
            height = reader.getHeight(0);
        } catch (IOException | RuntimeException e) {
            throw corrupt(format, where, e);
        }
        if (width <= 0 || height <= 0) {
            throw new ImageFormatException(where, "corrupt " + format + " header: size " + width + "x" + height);
        }
        long pixels = (long) width * height;
        if (pixels > maxPixels) {
            throw new ImageFormatException(where, "image of " + width + "x" + height + " = " + pixels
                    + " pixels exceeds the limit of " + maxPixels + " pixels (possible decompression bomb); "
                    + "refused before decoding");
        }
        return new int[] {width, height};
    }

    /**
     * The number of entries in a PNG's PLTE chunk, or -1 without one. Read from the chunk itself: ImageIO's
     * metadata rounds the palette up to 2, 4, 16 or 256 entries.
     */
    private static int pngPaletteEntries(Path file) {
        try (var in = new java.io.DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            in.skipNBytes(PNG_MAGIC.length);
            while (true) {
                long length = in.readInt() & 0xFFFF_FFFFL;
                int type = in.readInt();
                if (type == 0x504C5445) { // PLTE
                    return (int) (length / 3);
                }
                if (type == 0x49444154 || type == 0x49454E44) { // IDAT, IEND: PLTE comes before them
                    return -1;
                }
                in.skipNBytes(length + 4);
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Converts ImageIO's raw PNG samples to 8-bit RGB with PIL's {@code convert("RGB")} rules. */
    static DecodedImage pngToRgb(BufferedImage image, int paletteEntries, String where) {
        int w = image.getWidth();
        int h = image.getHeight();
        long bytes = (long) w * h * 3;
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new ImageFormatException(where, w + "x" + h + " is too large to hold as one RGB array");
        }
        byte[] rgb = new byte[(int) bytes];
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        SampleModel sm = raster.getSampleModel();
        if (cm instanceof IndexColorModel icm) {
            // Palette images, and ImageIO's 1/2/4-bit grayscale, whose ramp is i * 255 / (2^bits - 1) as PIL's.
            // ImageIO extends a PLTE shorter than 2^depth with its last colour; PIL's palette keeps its initial
            // grey ramp (i, i, i) there. paletteEntries is the PLTE length (-1 for ImageIO's own grey ramps).
            int size = paletteEntries < 0 ? icm.getMapSize() : Math.min(paletteEntries, icm.getMapSize());
            byte[] r = new byte[icm.getMapSize()];
            byte[] g = new byte[icm.getMapSize()];
            byte[] b = new byte[icm.getMapSize()];
            icm.getReds(r);
            icm.getGreens(g);
            icm.getBlues(b);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                int o = y * w * 3;
                for (int x = 0; x < w; x++) {
                    int i = row[x];
                    if (i >= size) {
                        rgb[o++] = (byte) i;
                        rgb[o++] = (byte) i;
                        rgb[o++] = (byte) i;
                        continue;
                    }
                    rgb[o++] = r[i];
                    rgb[o++] = g[i];
                    rgb[o++] = b[i];
                }
            }
            return new DecodedImage(w, h, rgb);
        }
        int colours = cm.getNumColorComponents();
        int bits = sm.getSampleSize(0);
        if (colours != 1 && colours != 3) {
            throw new ImageFormatException(where, "PNG with " + colours + " colour components is not supported");
        }
        if (bits != 8 && bits != 16) {
            throw new ImageFormatException(where, "PNG with " + bits + "-bit samples is not supported");
        }
        if (bits == 8 && sm instanceof ComponentSampleModel csm && raster.getDataBuffer() instanceof DataBufferByte db
                && db.getNumBanks() == 1 && raster.getSampleModelTranslateX() == 0 && raster.getSampleModelTranslateY() == 0) {
            // Fast path: interleaved bytes (8-bit RGB, RGBA, gray, gray+alpha).
            byte[] data = db.getData();
            int stride = csm.getScanlineStride();
            int ps = csm.getPixelStride();
            int[] off = csm.getBandOffsets();
            int base = db.getOffset();
            int o0 = off[0];
            int o1 = colours == 3 ? off[1] : off[0];
            int o2 = colours == 3 ? off[2] : off[0];
            for (int y = 0; y < h; y++) {
                int p = base + y * stride;
                int o = y * w * 3;
                for (int x = 0; x < w; x++, p += ps) {
                    rgb[o++] = data[p + o0];
                    rgb[o++] = data[p + o1];
                    rgb[o++] = data[p + o2];
                }
            }
            return new DecodedImage(w, h, rgb);
        }
        int bands = raster.getNumBands();
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            raster.getPixels(0, y, w, 1, row);
            int o = y * w * 3;
            for (int x = 0; x < w; x++) {
                int p = x * bands;
                if (colours == 1) {
                    int v = row[p];
                    // 8-bit gray as is; 16-bit gray is PIL's mode I, whose conversion to RGB clamps to 0..255.
                    byte g = (byte) Math.min(v, 255);
                    rgb[o++] = g;
                    rgb[o++] = g;
                    rgb[o++] = g;
                } else if (bits == 16) {
                    // PIL reads 16-bit RGB(A) PNGs as 8-bit, keeping the most significant byte.
                    rgb[o++] = (byte) (row[p] >>> 8);
                    rgb[o++] = (byte) (row[p + 1] >>> 8);
                    rgb[o++] = (byte) (row[p + 2] >>> 8);
                } else {
                    rgb[o++] = (byte) row[p];
                    rgb[o++] = (byte) row[p + 1];
                    rgb[o++] = (byte) row[p + 2];
                }
            }
        }
        return new DecodedImage(w, h, rgb);
    }
}
