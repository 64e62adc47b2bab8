package dev.mod4j.loaders.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mod4j.loaders.tokenizer.StreamingDecoder;
import dev.mod4j.loaders.tokenizer.Tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Fuzzes tokenizer.json loading, and encode/decode on the llama-mini fixture tokenizer.
 * Seeds: TokenizerFuzzTestsInputs/.
 */
class TokenizerFuzzTests {
    private static final Path DIR = FuzzContract.scratch("tokenizer");
    private static final Tokenizer MINI = Tokenizer.load(Path.of("src/test/resources/tokenizer/llama-mini"));

    @FuzzTest(maxDuration = "2m")
    void loadTokenizer(byte[] bytes) throws Exception {
        Path file = FuzzContract.write(DIR.resolve("tokenizer.json"), bytes);
        FuzzContract.check("tokenizer.json", () -> {
            Tokenizer tokenizer = Tokenizer.load(file);
            // Asking for a bos the tokenizer lacks is a TokenizerFormatException (tested in TokenizerEncodeTest).
            int[] ids = tokenizer.encode("Hello world <s> 🦙", tokenizer.bosId().isPresent());
            tokenizer.decode(ids);
        });
    }

    @FuzzTest(maxDuration = "2m")
    void encodeDecode(byte[] bytes) throws Exception {
        String text = new String(bytes, StandardCharsets.UTF_8);
        FuzzContract.check("encode/decode", () -> {
            int[] ids = MINI.encode(text, true, true);
            for (int id : ids) {
                if (id < 0 || id >= MINI.vocabSize()) {
                    throw new AssertionError("encode produced id " + id + " outside the vocabulary");
                }
            }
            MINI.decode(ids);
            MINI.decode(ids, true);
            StreamingDecoder stream = MINI.streamingDecoder();
            for (int id : ids) {
                stream.next(id);
            }
            stream.finish();
        });
    }

    @FuzzTest(maxDuration = "2m")
    void decodeIds(byte[] bytes) throws Exception {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        int[] ids = new int[bytes.length / 4];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = buffer.getInt();
        }
        FuzzContract.check("decode", () -> {
            MINI.decode(ids);
            MINI.decode(ids, true);
            StreamingDecoder stream = MINI.streamingDecoder(true);
            for (int id : ids) {
                stream.next(id);
            }
            stream.finish();
        });
    }
}
