package dev.mod4j.loaders.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mod4j.loaders.tokenizer.StreamingDecoder;
import dev.mod4j.loaders.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Fuzzes SentencePiece tokenizer.model loading (a protobuf ModelProto whose lengths may lie), and encode/decode
 * through the slow-LlamaTokenizer rules on the tiny trained model. Seeds: SentencePieceFuzzTestsInputs/.
 */
class SentencePieceFuzzTests {
    private static final Path DIR = FuzzContract.scratch("sentencepiece");
    private static final Tokenizer TINY = tiny();

    private static Tokenizer tiny() {
        try {
            Path dir = Files.createDirectories(DIR.resolve("tiny"));
            Files.copy(Path.of("src/test/resources/tokenizer/spm/tokenizer.model"), dir.resolve("tokenizer.model"),
                    StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(dir.resolve("tokenizer_config.json"), "{\"legacy\": false}");
            return Tokenizer.load(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "2m")
    void loadModel(byte[] bytes) throws Exception {
        Path file = FuzzContract.write(DIR.resolve("tokenizer.model"), bytes);
        FuzzContract.check("tokenizer.model", () -> {
            Tokenizer tokenizer = Tokenizer.load(file);
            int[] ids = tokenizer.encode("Hello  world <s> 🦙\n", true);
            tokenizer.decode(ids);
            tokenizer.decode(ids, true);
        });
    }

    @FuzzTest(maxDuration = "2m")
    void encodeDecode(byte[] bytes) throws Exception {
        String text = new String(bytes, StandardCharsets.UTF_8);
        FuzzContract.check("encode/decode", () -> {
            int[] ids = TINY.encode(text, true, true);
            for (int id : ids) {
                if (id < 0 || id >= TINY.vocabSize()) {
                    throw new AssertionError("encode produced id " + id + " outside the vocabulary");
                }
            }
            TINY.decode(ids);
            StreamingDecoder stream = TINY.streamingDecoder(true);
            for (int id : ids) {
                stream.next(id);
            }
            stream.finish();
        });
    }
}
