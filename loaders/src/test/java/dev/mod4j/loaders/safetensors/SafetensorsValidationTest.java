package dev.mod4j.loaders.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.mod4j.loaders.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each safetensors format rule, broken on purpose in a real file on disk. */
class SafetensorsValidationTest {
    @TempDir
    Path dir;

    private Path fileWith(String name, String headerJson, int dataBytes) throws Exception {
        byte[] json = headerJson.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(json.length).put(json);
        Path p = dir.resolve(name);
        Files.write(p, buf.array());
        return p;
    }

    private String failure(Path file) {
        return assertThrows(CheckpointFormatException.class, () -> SafetensorsFile.open(file).close()).getMessage();
    }

    @Test
    void validFileOpens() throws Exception {
        Path ok = fileWith("ok.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        SafetensorsFile.open(ok).close();
    }

    @Test
    void tooShortFile() throws Exception {
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[]{1, 2, 3});
        assertMentions(failure(p), "short.safetensors", "too short");
    }

    @Test
    void hugeDeclaredHeaderIsRefusedWithoutAllocating() throws Exception {
        Path p = dir.resolve("liar.safetensors");
        Files.write(p, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE / 2).array());
        assertMentions(failure(p), "liar.safetensors", "exceeds the limit");
        Files.write(p, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-5).array());
        assertMentions(failure(p), "exceeds the limit");
    }

    @Test
    void headerPastEndOfFile() throws Exception {
        Path p = dir.resolve("trunc.safetensors");
        Files.write(p, ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
        assertMentions(failure(p), "runs past the end of the file");
    }

    @Test
    void headerMustBeJsonObject() throws Exception {
        assertMentions(failure(fileWith("arr.safetensors", "[1,2,3]", 0)), "does not start with '{'");
        assertMentions(failure(fileWith("bad.safetensors", "{\"a\": ", 0)), "not valid JSON");
        assertMentions(failure(fileWith("dup.safetensors",
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}",
                0)), "not valid JSON", "Duplicate");
        byte[] badUtf8 = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        Path p = dir.resolve("utf.safetensors");
        Files.write(p, ByteBuffer.allocate(8 + badUtf8.length).order(ByteOrder.LITTLE_ENDIAN).putLong(badUtf8.length)
                .put(badUtf8).array());
        assertMentions(failure(p), "not valid UTF-8");
    }

    @Test
    void unknownDtypeIsNamed() throws Exception {
        assertMentions(failure(fileWith("dt.safetensors", "{\"w\":{\"dtype\":\"F12\",\"shape\":[1],\"data_offsets\":[0,2]}}", 2)), "dt.safetensors", "tensor 'w'", "unknown dtype 'F12'");
    }

    @Test
    void shapeMustBeNonNegativeIntegers() throws Exception {
        assertMentions(failure(fileWith("neg.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0)), "tensor 'w'", "shape[0] must be a non-negative integer");
        assertMentions(failure(fileWith("frac.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[1.5],\"data_offsets\":[0,1]}}", 1)), "shape[0]");
        assertMentions(failure(fileWith("ovf.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,4]}}", 4)), "tensor 'w'");
    }

    @Test
    void rangeOutsideDataSectionIsATruncatedFile() throws Exception {
        assertMentions(failure(fileWith("cut.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 10)), "tensor 'w'", "past the data section");
    }

    @Test
    void byteLengthMustMatchShapeTimesDtype() throws Exception {
        assertMentions(failure(fileWith("len.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8)), "tensor 'w'", "byte length 8 does not match");
    }

    @Test
    void rangesMustNotOverlapOrLeaveGaps() throws Exception {
        assertMentions(failure(fileWith("over.safetensors",
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[2,6]}}", 6)), "overlaps tensor 'a'");
        assertMentions(failure(fileWith("gap.safetensors",
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]}}", 6)), "tensor 'b'", "gap of 2");
        assertMentions(failure(fileWith("tail.safetensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 5)), "trailing bytes");
        assertMentions(failure(fileWith("offs.safetensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,0]}}", 2)), "not a valid range");
        assertMentions(failure(fileWith("offs2.safetensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0]}}", 2)), "'data_offsets' must be [begin, end]");
    }

    @Test
    void metadataMustMapStringsToStrings() throws Exception {
        assertMentions(failure(fileWith("meta.safetensors", "{\"__metadata__\":{\"format\":1}}", 0)), "__metadata__.format must be a string");
        assertMentions(failure(fileWith("meta2.safetensors", "{\"__metadata__\":[1]}", 0)), "__metadata__ must be an object");
    }

    @Test
    void entryMustBeAnObjectWithDtype() throws Exception {
        assertMentions(failure(fileWith("e1.safetensors", "{\"w\":3}", 0)), "tensor 'w'", "must be an object");
        assertMentions(failure(fileWith("e2.safetensors", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,1]}}", 1)), "missing or non-string 'dtype'");
    }

    @Test
    void legacyPickleCheckpointsAreRefusedWithAReason() throws Exception {
        // PyTorch zip checkpoints are read (PyTorchFileTest); the pre-1.6 pickle stream is not.
        Path model = Files.createDirectories(dir.resolve("pickled"));
        Files.write(model.resolve("pytorch_model.bin"), new byte[]{(byte) 0x80, 2});
        String msg = assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(model)).getMessage();
        assertMentions(msg, "pytorch_model.bin", "safetensors", "legacy format");
        msg = assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(model.resolve("pytorch_model.bin"))).getMessage();
        assertMentions(msg, "torch.save");
    }

    @Test
    void missingFileAndEmptyDirectory() throws Exception {
        assertMentions(assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(dir.resolve("nope"))).getMessage(), "no such file or directory");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertMentions(assertThrows(CheckpointFormatException.class, () -> Checkpoint.open(empty)).getMessage(), "no *.safetensors files");
    }

}
