package dev.mod4j.loaders.safetensors;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The element types of the safetensors format, with their names as written in the header. */
public enum DType {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8),
    /**
     * llama.cpp's Q8_0: blocks of 32 weights as int8 with one f16 scale a block. Not a safetensors type (no header
     * names it): weights quantized at load. Its byte size is the int8 value's; the scales are stored apart (see the
     * runtime's WeightMatrix).
     */
    Q8_0(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    /** True for the types mod4j widens to float on the fly: F32, F16, BF16 and F64. */
    public boolean isFloatingPoint() {
        return this == F32 || this == F16 || this == BF16 || this == F64;
    }

    /** Whether this is one of the safetensors format's dtypes (all but {@link #Q8_0}). */
    public boolean inSafetensors() {
        return this != Q8_0;
    }

    /** The safetensors format's dtypes. */
    public static List<DType> safetensorsTypes() {
        return Arrays.stream(values()).filter(DType::inSafetensors).toList();
    }

    /** The dtype with this header name ("F32", "BF16", ...), if it is one of the format's. */
    public static Optional<DType> fromHeaderName(String name) {
        return safetensorsTypes().stream().filter(d -> d.name().equals(name)).findFirst();
    }

    /** The dtype named {@code name} (case-insensitive), the format's or {@link #Q8_0}: for command-line options. */
    public static Optional<DType> fromName(String name) {
        return Arrays.stream(values()).filter(d -> d.name().equalsIgnoreCase(name)).findFirst();
    }
}
