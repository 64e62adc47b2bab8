package dev.mod4j.loaders.npy;

import dev.mod4j.loaders.FileLimit;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.SmallFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A float32 array in NumPy's {@code .npy} format (version 1.0 written; 1.0–3.0 read), the exchange format for
 * parity checks against PyTorch: logits, pixel values, hidden states. Reading accepts little-endian
 * {@code <f4} and {@code <f8} (narrowed to float), C order only.
 */
public record NpyArray(long[] shape, float[] data) {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    /** Arrays larger than this are refused on read (a header could claim anything). */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    public NpyArray {
        shape = shape.clone();
        if (elementCount(shape) != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not hold " + data.length + " values");
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    private static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public void write(Path file) {
        StringBuilder dims = new StringBuilder();
        for (long d : shape) {
            dims.append(d).append(", ");
        }
        if (shape.length > 1) {
            dims.setLength(dims.length() - 2);
        } else if (shape.length == 1) {
            dims.setLength(dims.length() - 1);
        }
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
        int unpadded = MAGIC.length + 2 + 2 + header.length() + 1;
        int padding = (64 - unpadded % 64) % 64;
        header = header + " ".repeat(padding) + "\n";
        ByteBuffer buf = ByteBuffer.allocate(MAGIC.length + 4 + header.length() + data.length * 4)
                .order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length())
                .put(header.getBytes(StandardCharsets.US_ASCII));
        buf.asFloatBuffer().put(data);
        try {
            Files.write(file, buf.array());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    public static NpyArray read(Path file) {
        String where = file.toString();
        byte[] bytes = SmallFiles.readBytes(file, Math.min(FileLimit.PIXEL_VALUES.maxBytes(),
                MAX_ELEMENTS * 8 + 1_000_000));
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new InvalidInputException(where, "not a .npy file (missing \\x93NUMPY magic)");
        }
        int major = bytes[6];
        long headerLength;
        int headerStart;
        if (major == 1) {
            headerLength = buf.getShort(8) & 0xFFFF;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) {
                throw new InvalidInputException(where, "truncated header");
            }
            headerLength = buf.getInt(8) & 0xFFFF_FFFFL;
            headerStart = 12;
        } else {
            throw new InvalidInputException(where, "unsupported .npy version " + major);
        }
        if (headerStart + headerLength > bytes.length) {
            throw new InvalidInputException(where, "header length " + headerLength + " runs past the end of the file");
        }
        String header = new String(bytes, headerStart, (int) headerLength, StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, where, "descr");
        if (group(FORTRAN, header, where, "fortran_order").equals("True")) {
            throw new InvalidInputException(where, "Fortran-order arrays are not supported; save with C order");
        }
        long[] shape = parseShape(group(SHAPE, header, where, "shape"), where);
        long count;
        try {
            count = elementCount(shape);
        } catch (ArithmeticException e) {
            throw new InvalidInputException(where, "shape overflows");
        }
        int itemSize = switch (descr) {
            case "<f4" -> 4;
            case "<f8" -> 8;
            default -> throw new InvalidInputException(where, "dtype '" + descr
                    + "' is not supported (expected little-endian float32 '<f4' or float64 '<f8')");
        };
        long dataStart = headerStart + headerLength;
        if (count > MAX_ELEMENTS || dataStart + count * itemSize != bytes.length) {
            throw new InvalidInputException(where, "shape " + Arrays.toString(shape) + " of " + descr + " needs "
                    + (count * itemSize) + " data bytes, the file has " + (bytes.length - dataStart));
        }
        float[] data = new float[(int) count];
        buf.position((int) dataStart);
        if (itemSize == 4) {
            buf.asFloatBuffer().get(data);
        } else {
            var doubles = buf.asDoubleBuffer();
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) doubles.get(i);
            }
        }
        return new NpyArray(shape, data);
    }

    private static String group(Pattern p, String header, String where, String key) {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new InvalidInputException(where, "header has no valid '" + key + "' entry");
        }
        return m.group(1);
    }

    private static long[] parseShape(String text, String where) {
        String[] parts = text.split(",");
        long[] dims = new long[parts.length];
        int n = 0;
        for (String part : parts) {
            String t = part.trim();
            if (t.isEmpty()) {
                continue;
            }
            try {
                dims[n] = Long.parseLong(t.endsWith("L") ? t.substring(0, t.length() - 1) : t);
            } catch (NumberFormatException e) {
                throw new InvalidInputException(where, "shape entry '" + t + "' is not an integer");
            }
            if (dims[n] < 0) {
                throw new InvalidInputException(where, "negative dimension in shape");
            }
            n++;
        }
        return Arrays.copyOf(dims, n);
    }
}
