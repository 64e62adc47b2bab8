package dev.mod4j.loaders.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A malformed or unsupported tokenizer.model is a one-line TokenizerFormatException naming the file. */
class SentencePieceFormatErrorTest {
    @TempDir
    Path temp;

    private byte[] good() throws IOException {
        return Files.readAllBytes(SentencePieceGoldenTest.DIR.resolve("tokenizer.model"));
    }

    /** Appending a field to a protobuf message overrides (or, for messages, merges into) what came before. */
    private static byte[] append(byte[] bytes, int... extra) {
        byte[] out = Arrays.copyOf(bytes, bytes.length + extra.length);
        for (int i = 0; i < extra.length; i++) {
            out[bytes.length + i] = (byte) extra[i];
        }
        return out;
    }

    private String error(byte[] bytes) throws IOException {
        Path file = Files.write(temp.resolve("tokenizer.model"), bytes);
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.problem();
    }

    @Test
    void theGoodFileLoadsFromADirectoryWithoutTokenizerJson() throws IOException {
        Files.write(temp.resolve("tokenizer.model"), good());
        assertEquals(Tokenizer.Kind.SENTENCEPIECE, Tokenizer.load(temp).kind());
        assertEquals(Tokenizer.Kind.SENTENCEPIECE, Tokenizer.kindIn(temp).orElseThrow());
    }

    @Test
    void emptyFile() throws IOException {
        assertEquals("file is empty", error(new byte[0]));
    }

    @Test
    void truncatedFile() throws IOException {
        String problem = error(Arrays.copyOf(good(), 1000));
        assertTrue(problem.contains("runs past the end") || problem.contains("truncated"), problem);
    }

    @Test
    void lyingLength() throws IOException {
        // pieces (field 1, length-delimited) claiming 2^31 bytes.
        String problem = error(append(good(), 0x0A, 0x80, 0x80, 0x80, 0x80, 0x08));
        assertTrue(problem.startsWith("ModelProto at byte "), problem);
        assertTrue(problem.contains("length 2147483648 runs past the end of the message"), problem);
    }

    @Test
    void notAProtobufAtAll() throws IOException {
        String problem = error("{\"version\": \"1.0\"}".getBytes(StandardCharsets.UTF_8));
        assertTrue(problem.contains("is this a SentencePiece model?") || problem.contains("wire type"), problem);
    }

    @Test
    void unigramModelsAreRefused() throws IOException {
        // trainer_spec { model_type: UNIGRAM }
        assertEquals("trainer_spec.model_type is UNIGRAM; mod4j implements SentencePiece BPE models only (LLaMA's kind)",
                error(append(good(), 0x12, 0x02, 0x18, 0x01)));
    }

    @Test
    void normalizationRulesAreRefused() throws IOException {
        // normalizer_spec { precompiled_charsmap: "\0" }
        assertTrue(error(append(good(), 0x1A, 0x03, 0x12, 0x01, 0x00)).contains(
                "has normalization rules (precompiled_charsmap); mod4j implements the \"identity\" normalizer only"));
    }

    @Test
    void bytePiecesWithoutByteFallback() throws IOException {
        // trainer_spec { byte_fallback: false }
        assertTrue(error(append(good(), 0x12, 0x03, 0x98, 0x02, 0x00)).contains(
                "but trainer_spec.byte_fallback is false"));
    }

    @Test
    void aPieceWithoutItsString() throws IOException {
        // pieces { score: 0 }
        String problem = error(append(good(), 0x0A, 0x05, 0x15, 0, 0, 0, 0));
        assertTrue(problem.startsWith("pieces[400] at byte") && problem.endsWith("has no piece string"), problem);
    }
}
