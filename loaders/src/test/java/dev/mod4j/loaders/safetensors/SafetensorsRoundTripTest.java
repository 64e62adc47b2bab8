package dev.mod4j.loaders.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsRoundTripTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(LoadMode.class)
    void tensorsOfEveryDtypeReadBackBitExactly(LoadMode mode) throws Exception {
        SplittableRandom random = new SplittableRandom(7);
        byte[][] payloads = new byte[DType.values().length][];
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt").metadata("note", "ünïcode");
        for (DType dtype : DType.safetensorsTypes()) {
            long[] shape = {3, 5};
            byte[] bytes = new byte[15 * dtype.byteSize()];
            random.nextBytes(bytes);
            if (dtype == DType.BOOL) {
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] &= 1;
                }
            }
            payloads[dtype.ordinal()] = bytes;
            writer.add(new SafetensorsWriter.TensorData("t." + dtype, dtype, shape, MemorySegment.ofArray(bytes)));
        }
        writer.add(new SafetensorsWriter.TensorData("scalar", DType.F32, new long[]{}, MemorySegment.ofArray(
                ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(3.25f).array())));
        writer.add(new SafetensorsWriter.TensorData("empty", DType.F16, new long[]{0, 4}, MemorySegment.ofArray(new byte[0])));
        Path file = dir.resolve("all.safetensors");
        writer.write(file);

        // The data section must start 8-byte aligned (the header is space-padded).
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLength) % 8);

        try (SafetensorsFile st = SafetensorsFile.open(file, mode)) {
            assertEquals("ünïcode", st.metadata().get("note"));
            for (DType dtype : DType.safetensorsTypes()) {
                Tensor t = st.tensor("t." + dtype);
                assertEquals(dtype, t.dtype());
                assertArrayEquals(new long[]{3, 5}, t.shape());
                assertArrayEquals(payloads[dtype.ordinal()], t.data().toArray(ValueLayout.JAVA_BYTE), dtype.name());
            }
            assertEquals(3.25f, st.tensor("scalar").getFloat(0));
            assertEquals(1, st.tensor("scalar").elementCount());
            assertEquals(0, st.tensor("empty").elementCount());
        }
    }

    @Test
    void halfPrecisionTensorsWidenToTheFloatsTheyRound() throws Exception {
        float[] values = {0f, -0f, 1f, -2.5f, 3.14159265f, 65504f, 1e-7f, 1e30f, Float.NaN, Float.POSITIVE_INFINITY};
        Path file = dir.resolve("halves.safetensors");
        new SafetensorsWriter()
                .addFloats("f32", DType.F32, new long[]{values.length}, values)
                .addFloats("f16", DType.F16, new long[]{values.length}, values)
                .addFloats("bf16", DType.BF16, new long[]{values.length}, values)
                .write(file);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            float[] f32 = st.tensor("f32").toFloatArray();
            float[] f16 = st.tensor("f16").toFloatArray();
            float[] bf16 = st.tensor("bf16").toFloatArray();
            for (int i = 0; i < values.length; i++) {
                assertEquals(Float.floatToIntBits(values[i]), Float.floatToIntBits(f32[i]));
                assertEquals(Float.floatToIntBits(Float.float16ToFloat(Float.floatToFloat16(values[i]))),
                        Float.floatToIntBits(f16[i]));
            }
            // bfloat16 by hand: 3.14159265 = 0x40490FDB -> round to nearest even on the low 16 bits -> 0x4049.
            assertEquals(Float.intBitsToFloat(0x40490000), bf16[4]);
            assertEquals(-2.5f, bf16[3]);
            assertTrue(Float.isNaN(bf16[8]));
            assertEquals(Float.POSITIVE_INFINITY, bf16[9]);
            // 1e30 = 0x7149F2CA: the low half 0xF2CA > 0x8000 rounds up to 0x714A.
            assertEquals(Float.intBitsToFloat(0x714A0000), bf16[7]);
        }
    }

    @Test
    void bf16RoundingTiesGoToEven() {
        assertEquals((short) 0x3F80, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F808000))); // tie, even stays
        assertEquals((short) 0x3F82, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F818000))); // tie, odd rounds up
        assertEquals((short) 0x3F81, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F808001))); // above half
    }

    @Test
    void tensorsAreViewsIntoTheMappingNotCopies() throws Exception {
        Path file = dir.resolve("view.safetensors");
        new SafetensorsWriter().addFloats("a", DType.F32, new long[]{4}, new float[]{1, 2, 3, 4})
                .addFloats("b", DType.F32, new long[]{2}, new float[]{5, 6}).write(file);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            long base = st.segment().address();
            Tensor b = st.tensor("b");
            assertEquals(base + st.header().dataStart() + 16, b.data().address());
            assertTrue(st.segment().isMapped());
        }
    }
}
