package dev.mod4j.loaders.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and validated JSON header of a safetensors file.
 * Validation follows the format's rules (as the reference Rust implementation enforces them): the header is a
 * JSON object of tensor entries plus an optional string→string {@code __metadata__}; every byte range lies in the
 * data section, has the length shape × dtype size, and the ranges tile the data section without overlap or gap.
 *
 * @param dataStart byte offset of the data section in the file (8 + header length)
 */
public record SafetensorsHeader(Map<String, TensorInfo> tensors, Map<String, String> metadata, long dataStart) {

    /** Headers larger than this are refused before anything is read (the Rust implementation uses the same cap). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64).maxStringLength((int) MAX_HEADER_BYTES).build());
    }

    /**
     * Parses the header of a file of {@code fileSize} bytes, given its first 8 bytes' length field and a reader for
     * the header bytes (called only after the length has been checked against the cap and the file size).
     */
    static SafetensorsHeader parse(String file, long fileSize, long declaredLength, HeaderBytes headerBytes) {
        if (fileSize < 8) {
            throw new CheckpointFormatException(file, "file is " + fileSize + " bytes, too short for the 8-byte header length");
        }
        if (declaredLength < 0 || declaredLength > MAX_HEADER_BYTES) {
            throw new CheckpointFormatException(file, "header length " + Long.toUnsignedString(declaredLength)
                    + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes (corrupt or not a safetensors file)");
        }
        if (declaredLength > fileSize - 8) {
            throw new CheckpointFormatException(file, "header length " + declaredLength + " runs past the end of the file ("
                    + fileSize + " bytes; truncated download?)");
        }
        if (declaredLength < 2) {
            throw new CheckpointFormatException(file, "header length " + declaredLength + " is too small for a JSON object");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(headerBytes.read((int) declaredLength))).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointFormatException(file, "header is not valid UTF-8");
        }
        if (!text.startsWith("{")) {
            throw new CheckpointFormatException(file, "header does not start with '{' (not a safetensors file?)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw new CheckpointFormatException(file, "header is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (!(root instanceof ObjectNode object)) {
            throw new CheckpointFormatException(file, "header is not a JSON object");
        }
        long dataStart = 8 + declaredLength;
        long dataSize = fileSize - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> infos = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : object.properties()) {
            String name = entry.getKey();
            if (name.equals("__metadata__")) {
                readMetadata(file, entry.getValue(), metadata);
                continue;
            }
            infos.add(readTensor(file, name, entry.getValue(), dataSize));
        }
        checkTiling(file, infos, dataSize);
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (TensorInfo info : infos) {
            tensors.put(info.name(), info);
        }
        return new SafetensorsHeader(Map.copyOf(tensors), Map.copyOf(metadata), dataStart);
    }

    @FunctionalInterface
    interface HeaderBytes {
        byte[] read(int length);
    }

    private static void readMetadata(String file, JsonNode node, Map<String, String> metadata) {
        if (!node.isObject()) {
            throw new CheckpointFormatException(file, "__metadata__ must be an object of strings, found " + node.getNodeType());
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new CheckpointFormatException(file, "__metadata__." + e.getKey() + " must be a string, found "
                        + e.getValue().getNodeType());
            }
            metadata.put(e.getKey(), e.getValue().asText());
        }
    }

    private static TensorInfo readTensor(String file, String name, JsonNode node, long dataSize) {
        String where = file + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new CheckpointFormatException(where, "entry must be an object with dtype, shape and data_offsets");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new CheckpointFormatException(where, "missing or non-string 'dtype'");
        }
        DType dtype = DType.fromHeaderName(dtypeNode.asText()).orElseThrow(() -> new CheckpointFormatException(where,
                "unknown dtype '" + dtypeNode.asText() + "'"));
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new CheckpointFormatException(where, "missing or non-array 'shape'");
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                throw new CheckpointFormatException(where, "shape[" + i + "] must be a non-negative integer, found " + d);
            }
            shape[i] = d.asLong();
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException overflow) {
                throw new CheckpointFormatException(where, "shape " + shapeNode + " has more elements than a long can count");
            }
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2
                || !offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()
                || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
            throw new CheckpointFormatException(where, "'data_offsets' must be [begin, end] integers, found " + offsets);
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin) {
            throw new CheckpointFormatException(where, "data_offsets [" + begin + ", " + end + "] are not a valid range");
        }
        if (end > dataSize) {
            throw new CheckpointFormatException(where, "data_offsets end " + end + " lies past the data section ("
                    + dataSize + " bytes; truncated file?)");
        }
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(elements, dtype.byteSize());
        } catch (ArithmeticException overflow) {
            throw new CheckpointFormatException(where, "byte size of shape " + shapeNode + " overflows");
        }
        if (end - begin != expectedBytes) {
            throw new CheckpointFormatException(where, "byte length " + (end - begin) + " does not match shape "
                    + shapeNode + " × " + dtype + " (" + dtype.byteSize() + " bytes) = " + expectedBytes);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static void checkTiling(String file, List<TensorInfo> infos, long dataSize) {
        List<TensorInfo> byOffset = new ArrayList<>(infos);
        byOffset.sort(Comparator.comparingLong(TensorInfo::dataBegin).thenComparingLong(TensorInfo::dataEnd));
        long cursor = 0;
        TensorInfo previous = null;
        for (TensorInfo t : byOffset) {
            if (t.dataBegin() < cursor) {
                throw new CheckpointFormatException(file + ": tensor '" + t.name() + "'", "byte range [" + t.dataBegin()
                        + ", " + t.dataEnd() + ") overlaps tensor '" + previous.name() + "' [" + previous.dataBegin()
                        + ", " + previous.dataEnd() + ")");
            }
            if (t.dataBegin() > cursor) {
                throw new CheckpointFormatException(file + ": tensor '" + t.name() + "'", "gap of "
                        + (t.dataBegin() - cursor) + " unindexed bytes before its data at offset " + t.dataBegin());
            }
            cursor = t.dataEnd();
            previous = t;
        }
        if (cursor != dataSize) {
            throw new CheckpointFormatException(file, "data section has " + dataSize + " bytes but the tensors cover "
                    + cursor + " (trailing bytes or truncated header)");
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
