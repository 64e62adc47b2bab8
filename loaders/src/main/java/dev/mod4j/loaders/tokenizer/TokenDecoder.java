package dev.mod4j.loaders.tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code decoder} of tokenizer.json: steps that each turn a list of token strings into another
 * list, as HF tokenizers' {@code decode_chain}; the final list is concatenated. Only the steps
 * LLaMA-family files use are implemented. LLaMA's is
 * {@code Sequence[Replace("▁"→" "), ByteFallback, Fuse, Strip(" ", 1, 0)]}.
 */
sealed interface TokenDecoder {

    List<String> decodeChain(List<String> tokens);

    default String decode(List<String> tokens) {
        return String.join("", decodeChain(tokens));
    }

    /** {@code "decoder": null}: HF joins the tokens with single spaces. */
    record None() implements TokenDecoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            return tokens;
        }

        @Override
        public String decode(List<String> tokens) {
            return String.join(" ", tokens);
        }
    }

    /** Replaces every occurrence of a literal string in each token. */
    record Replace(String pattern, String content) implements TokenDecoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            return tokens.stream().map(t -> t.replace(pattern, content)).toList();
        }
    }

    /**
     * Turns each run of consecutive {@code <0xNN>} tokens into the text of those bytes. Exactly as
     * HF: a run that is valid UTF-8 becomes one string; a run that is not becomes one U+FFFD per
     * byte of the whole run (not per invalid sequence).
     */
    record ByteFallback() implements TokenDecoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            byte[] run = new byte[16];
            int runLength = 0;
            for (String token : tokens) {
                int b = byteValue(token);
                if (b >= 0) {
                    if (runLength == run.length) {
                        run = java.util.Arrays.copyOf(run, runLength * 2);
                    }
                    run[runLength++] = (byte) b;
                    continue;
                }
                flush(run, runLength, out);
                runLength = 0;
                out.add(token);
            }
            flush(run, runLength, out);
            return out;
        }

        /** The byte a {@code <0xNN>} token stands for, or -1 for any other token. */
        static int byteValue(String token) {
            if (token.length() != 6 || !token.startsWith("<0x") || token.charAt(5) != '>') {
                return -1;
            }
            int high = hexDigit(token.charAt(3));
            int low = hexDigit(token.charAt(4));
            return high < 0 || low < 0 ? -1 : high * 16 + low;
        }

        private static int hexDigit(char c) {
            return c > 0x7F ? -1 : Character.digit(c, 16);
        }

        private static void flush(byte[] run, int length, List<String> out) {
            if (length == 0) {
                return;
            }
            try {
                out.add(StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(run, 0, length))
                        .toString());
            } catch (CharacterCodingException e) {
                for (int i = 0; i < length; i++) {
                    out.add("\uFFFD");
                }
            }
        }
    }

    /** Concatenates all tokens into one. */
    record Fuse() implements TokenDecoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            return List.of(String.join("", tokens));
        }
    }

    /**
     * Removes up to {@code start} leading and {@code stop} trailing {@code content} characters from
     * each token. After Fuse there is one token, so LLaMA's {@code Strip(" ", 1, 0)} removes the one
     * space that the encoder's "▁" prefix turned into.
     */
    record Strip(int content, int start, int stop) implements TokenDecoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            return tokens.stream().map(this::strip).toList();
        }

        private String strip(String token) {
            int[] chars = token.codePoints().toArray();
            int startCut = 0;
            while (startCut < Math.min(start, chars.length) && chars[startCut] == content) {
                startCut++;
            }
            int stopCut = chars.length;
            while (chars.length - stopCut < stop && stopCut > startCut && chars[stopCut - 1] == content) {
                stopCut--;
            }
            return new String(chars, startCut, stopCut - startCut);
        }
    }

    /**
     * The Metaspace decoder: the replacement character becomes a space, except in the first token,
     * where HF drops it (unless the prepend scheme is "never").
     */
    record Metaspace(int replacement, boolean dropsInFirstToken) implements TokenDecoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                boolean drop = i == 0 && dropsInFirstToken;
                StringBuilder sb = new StringBuilder(tokens.get(i).length());
                tokens.get(i).codePoints().forEach(cp -> {
                    if (cp != replacement) {
                        sb.appendCodePoint(cp);
                    } else if (!drop) {
                        sb.append(' ');
                    }
                });
                out.add(sb.toString());
            }
            return out;
        }
    }

    /** Each step on the previous one's output. */
    record Sequence(List<TokenDecoder> steps) implements TokenDecoder {
        public Sequence {
            steps = List.copyOf(steps);
        }

        @Override
        public List<String> decodeChain(List<String> tokens) {
            for (TokenDecoder step : steps) {
                tokens = step.decodeChain(tokens);
            }
            return tokens;
        }
    }
}
