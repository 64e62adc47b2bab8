package dev.mod4j.loaders.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** 64-bit offsets: a sparse file over 4 GiB with a tensor beyond the 2 GiB mark (no disk space is really used). */
class LargeSparseFileTest {
    @TempDir
    Path dir;

    @Test
    void tensorBeyondTwoGibInAFileOverFourGibReadsCorrectly() throws Exception {
        long padBytes = 3L * 1024 * 1024 * 1024 + 12345;   // pushes "probe" past 2^31 and 2^32 - ...
        long tailBytes = 2L * 1024 * 1024 * 1024;          // file ends past 4 GiB
        long probeBegin = padBytes;
        long probeEnd = probeBegin + 16;
        String header = "{\"pad\":{\"dtype\":\"U8\",\"shape\":[" + padBytes + "],\"data_offsets\":[0," + padBytes + "]},"
                + "\"probe\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + probeBegin + "," + probeEnd + "]},"
                + "\"tail\":{\"dtype\":\"I8\",\"shape\":[" + tailBytes + "],\"data_offsets\":[" + probeEnd + ","
                + (probeEnd + tailBytes) + "]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("big.safetensors");
        long dataStart = 8 + json.length;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.SPARSE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, json.length));
            ch.write(ByteBuffer.wrap(json), 8);
            ByteBuffer probe = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            probe.putFloat(1.5f).putFloat(-2f).putFloat(1e-3f).putFloat(42f).flip();
            ch.write(probe, dataStart + probeBegin);
            ch.write(ByteBuffer.wrap(new byte[]{7}), dataStart + probeEnd + tailBytes - 1);
        }
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(dataStart + probeEnd + tailBytes, st.segment().byteSize());
            Tensor probe = st.tensor("probe");
            assertEquals(dataStart + probeBegin, probe.data().address() - st.segment().address());
            assertArrayEquals(new float[]{1.5f, -2f, 1e-3f, 42f}, probe.toFloatArray());
            Tensor tail = st.tensor("tail");
            assertEquals(tailBytes, tail.elementCount());
            assertEquals(7, tail.getLong(tailBytes - 1));
            assertEquals(0, tail.getLong(0));
        }
    }
}
