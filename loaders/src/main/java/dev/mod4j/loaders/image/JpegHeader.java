package dev.mod4j.loaders.image;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What libjpeg learns from a JPEG's marker segments before the first scan: whether a JFIF APP0 or an Adobe APP14
 * segment was seen, the Adobe transform, and the frame's component count and ids. Enough to decide the colour space
 * the way libjpeg (and so PIL) does, without ImageIO's slower metadata tree.
 *
 * @param components   number of components in the frame header (1 gray, 3 colour, 4 CMYK/YCCK)
 * @param componentIds the frame's component ids
 * @param jfif         a JFIF APP0 segment (identifier {@code "JFIF\0"}, at least 14 data bytes) was seen
 * @param adobeTransform the Adobe APP14 transform byte, or -1 without an Adobe segment
 */
record JpegHeader(int width, int height, int components, int[] componentIds, boolean jfif, int adobeTransform) {

    /**
     * libjpeg's guess for a 3-component image ({@code default_decompress_parms} in jdapimin.c, shared by
     * libjpeg-turbo): JFIF means YCbCr; else an Adobe segment decides (transform 0 = RGB, anything else YCbCr);
     * else component ids 'R', 'G', 'B' mean RGB; anything else is YCbCr.
     */
    boolean codedAsRgb() {
        if (components != 3 || jfif) {
            return false;
        }
        if (adobeTransform >= 0) {
            return adobeTransform == 0;
        }
        return componentIds[0] == 'R' && componentIds[1] == 'G' && componentIds[2] == 'B';
    }

    /** Reads marker segments from the start of the file up to the first SOS; throws IOException when malformed. */
    static JpegHeader scan(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 8192))) {
            if (in.readUnsignedByte() != 0xFF || in.readUnsignedByte() != 0xD8) {
                throw new IOException("no JPEG start-of-image marker");
            }
            boolean jfif = false;
            int adobe = -1;
            int width = -1;
            int height = -1;
            int[] ids = null;
            while (true) {
                int b = in.readUnsignedByte();
                if (b != 0xFF) {
                    // libjpeg skips garbage before a marker (with a warning); so does this scan.
                    continue;
                }
                int marker;
                do {
                    marker = in.readUnsignedByte();
                } while (marker == 0xFF);
                if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                    continue; // stuffed zero, TEM, RSTn: no length
                }
                if (marker == 0xDA || marker == 0xD9) { // SOS, EOI
                    break;
                }
                int length = in.readUnsignedShort();
                if (length < 2) {
                    throw new IOException("marker segment 0x" + Integer.toHexString(marker) + " with length " + length);
                }
                int dataLength = length - 2;
                boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
                if (marker == 0xE0 || marker == 0xEE || sof) {
                    byte[] data = new byte[dataLength];
                    in.readFully(data);
                    if (marker == 0xE0) {
                        jfif |= dataLength >= 14 && data[0] == 'J' && data[1] == 'F' && data[2] == 'I' && data[3] == 'F'
                                && data[4] == 0;
                    } else if (marker == 0xEE) {
                        if (dataLength >= 12 && data[0] == 'A' && data[1] == 'd' && data[2] == 'o' && data[3] == 'b'
                                && data[4] == 'e') {
                            adobe = data[11] & 0xFF;
                        }
                    } else if (ids == null) {
                        if (dataLength < 6) {
                            throw new IOException("frame header too short");
                        }
                        height = ((data[1] & 0xFF) << 8) | (data[2] & 0xFF);
                        width = ((data[3] & 0xFF) << 8) | (data[4] & 0xFF);
                        int n = data[5] & 0xFF;
                        if (dataLength < 6 + 3 * n) {
                            throw new IOException("frame header too short for " + n + " components");
                        }
                        ids = new int[n];
                        for (int i = 0; i < n; i++) {
                            ids[i] = data[6 + 3 * i] & 0xFF;
                        }
                    }
                } else {
                    in.skipNBytes(dataLength);
                }
            }
            if (ids == null) {
                throw new IOException("no frame header before the first scan");
            }
            return new JpegHeader(width, height, ids.length, ids, jfif, adobe);
        } catch (EOFException e) {
            throw new EOFException("the file ends inside the JPEG header");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JpegHeader h && width == h.width && height == h.height && components == h.components
                && Arrays.equals(componentIds, h.componentIds) && jfif == h.jfif && adobeTransform == h.adobeTransform;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(componentIds) + width * 7 + height * 13 + adobeTransform + (jfif ? 1 : 0);
    }

    @Override
    public String toString() {
        return "JpegHeader[" + width + "x" + height + ", ids=" + Arrays.toString(componentIds) + ", jfif=" + jfif
                + ", adobeTransform=" + adobeTransform + "]";
    }
}
