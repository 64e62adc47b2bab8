package dev.mod4j.loaders.tokenizer;

import dev.mod4j.loaders.FileLimit;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.SmallFiles;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A SentencePiece {@code tokenizer.model}: the serialized {@code ModelProto} of
 * sentencepiece_model.proto, reduced to the fields that BPE encoding and decoding read, and checked
 * the way SentencePiece's {@code ModelInterface::InitializePieces} checks it.
 *
 * <p>The protobuf wire format is read here directly rather than through protobuf-java: without
 * generated classes (protoc is a native binary the build cannot fetch) protobuf-java would only
 * decode varints and lengths for us, and the field dispatch below would be the same code. Four wire
 * types and a dozen fields are a page of code, every length is checked against the bytes that
 * remain, and errors name the file and the field, with no 1.9 MB dependency.
 */
final class SentencePieceModel {
    /** Piece types of {@code ModelProto.SentencePiece.Type}. */
    static final int NORMAL = 1;
    static final int UNKNOWN = 2;
    static final int CONTROL = 3;
    static final int USER_DEFINED = 4;
    static final int UNUSED = 5;
    static final int BYTE = 6;

    /** TrainerSpec.ModelType. */
    private static final int MODEL_UNIGRAM = 1;
    private static final int MODEL_BPE = 2;

    /** LLaMA's tokenizer.model is 500 KB; large multilingual ones a few MB. */
    static final long MAX_FILE_BYTES = FileLimit.TOKENIZER.maxBytes();

    final String file;
    final String[] pieces;
    final float[] scores;
    final int[] types;
    final boolean byteFallback;
    final boolean treatWhitespaceAsSuffix;
    /** What an unknown piece decodes to; SentencePiece's default is " ⁇ ". */
    final String unkSurface;
    final boolean addDummyPrefix;
    final boolean removeExtraWhitespaces;
    final boolean escapeWhitespaces;
    final int unkId;
    /** Normal, user-defined and unused pieces, which the BPE merge loop may produce. */
    final Map<String, Integer> mergeablePieces;
    /** Control, unknown and byte pieces, looked up first by {@code PieceToId}. */
    final Map<String, Integer> reservedPieces;
    final List<String> userDefinedSymbols;
    /** The id of {@code <0xNN>} for each byte, or -1. */
    final int[] byteIds = new int[256];

    private SentencePieceModel(String file, Fields f) {
        this.file = file;
        int n = f.pieces.size();
        pieces = f.pieces.toArray(new String[0]);
        scores = new float[n];
        types = new int[n];
        for (int i = 0; i < n; i++) {
            scores[i] = f.scores.get(i);
            types[i] = f.types.get(i);
        }
        byteFallback = f.byteFallback;
        treatWhitespaceAsSuffix = f.treatWhitespaceAsSuffix;
        unkSurface = f.unkSurface;
        addDummyPrefix = f.addDummyPrefix;
        removeExtraWhitespaces = f.removeExtraWhitespaces;
        escapeWhitespaces = f.escapeWhitespaces;
        mergeablePieces = new HashMap<>();
        reservedPieces = new HashMap<>();
        userDefinedSymbols = new ArrayList<>();
        java.util.Arrays.fill(byteIds, -1);
        int unk = -1;
        for (int i = 0; i < n; i++) {
            String piece = pieces[i];
            String where = "pieces[" + i + "]";
            if (piece.isEmpty()) {
                throw error(where + ".piece is empty");
            }
            int type = types[i];
            if (type < NORMAL || type > BYTE) {
                throw error(where + ".type is " + type + ", not a SentencePiece piece type (1 to 6)");
            }
            boolean mergeable = type == NORMAL || type == USER_DEFINED || type == UNUSED;
            Integer earlier = (mergeable ? mergeablePieces : reservedPieces).putIfAbsent(piece, i);
            if (earlier != null) {
                throw error(where + ": piece " + JsonFields.quote(piece) + " is already pieces[" + earlier + "]");
            }
            if (type == USER_DEFINED) {
                userDefinedSymbols.add(piece);
            } else if (type == UNKNOWN) {
                if (unk >= 0) {
                    throw error(where + ": a second unknown piece (the first is pieces[" + unk + "])");
                }
                unk = i;
            } else if (type == BYTE) {
                if (!byteFallback) {
                    throw error(where + ": byte piece " + JsonFields.quote(piece)
                            + " but trainer_spec.byte_fallback is false");
                }
                int b = pieceToByte(piece);
                if (b < 0) {
                    throw error(where + ": byte piece " + JsonFields.quote(piece) + " is not <0xNN>");
                }
                byteIds[b] = i;
            }
        }
        if (unk < 0) {
            throw error("pieces: no piece of type UNKNOWN");
        }
        unkId = unk;
        if (byteFallback) {
            for (int b = 0; b < 256; b++) {
                if (byteIds[b] < 0) {
                    throw error("trainer_spec.byte_fallback is true but pieces lack " + BpeModel.byteTokenText(b));
                }
            }
        }
        if (f.modelType != MODEL_BPE) {
            throw error("trainer_spec.model_type is " + (f.modelType == MODEL_UNIGRAM ? "UNIGRAM" : f.modelType)
                    + "; mod4j implements SentencePiece BPE models only (LLaMA's kind)");
        }
        if (f.precompiledCharsmapBytes > 0) {
            throw error("normalizer_spec " + JsonFields.quote(f.normalizerName) + " has normalization rules"
                    + " (precompiled_charsmap); mod4j implements the \"identity\" normalizer only (LLaMA's)");
        }
        if (f.denormalizerCharsmapBytes > 0) {
            throw error("denormalizer_spec has rules (precompiled_charsmap); mod4j does not implement them");
        }
    }

    TokenizerFormatException error(String problem) {
        return new TokenizerFormatException(file, problem);
    }

    /** SentencePiece's {@code PieceToId}: reserved pieces first, then the others, else the unknown id. */
    int pieceToId(String piece) {
        Integer id = reservedPieces.get(piece);
        if (id == null) {
            id = mergeablePieces.get(piece);
        }
        return id == null ? unkId : id;
    }

    /** {@code <0x0A>} → 10; anything else → -1. */
    static int pieceToByte(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') {
            return -1;
        }
        int hi = Character.digit(piece.charAt(3), 16);
        int lo = Character.digit(piece.charAt(4), 16);
        // SentencePiece writes upper-case hex only; "<0x0a>" is not a byte piece there.
        boolean upper = !Character.isLowerCase(piece.charAt(3)) && !Character.isLowerCase(piece.charAt(4));
        return hi < 0 || lo < 0 || !upper ? -1 : hi * 16 + lo;
    }

    static SentencePieceModel read(Path path) {
        String file = path.toString();
        byte[] bytes;
        try {
            bytes = SmallFiles.readBytes(path, MAX_FILE_BYTES);
        } catch (InvalidInputException e) {
            throw new TokenizerFormatException(file, e.problem());
        }
        return parse(file, bytes);
    }

    static SentencePieceModel parse(String file, byte[] bytes) {
        if (bytes.length == 0) {
            throw new TokenizerFormatException(file, "file is empty");
        }
        Fields fields = new Fields();
        Wire top = new Wire(file, bytes, 0, bytes.length, "ModelProto");
        while (top.more()) {
            int tag = top.tag();
            switch (tag) {
                case (1 << 3) | 2 -> readPiece(top.message("pieces[" + fields.pieces.size() + "]"), fields);
                case (2 << 3) | 2 -> readTrainerSpec(top.message("trainer_spec"), fields);
                case (3 << 3) | 2 -> readNormalizerSpec(top.message("normalizer_spec"), fields, false);
                case (5 << 3) | 2 -> readNormalizerSpec(top.message("denormalizer_spec"), fields, true);
                default -> top.skip(tag);
            }
        }
        if (fields.pieces.isEmpty()) {
            throw new TokenizerFormatException(file, "ModelProto has no pieces (is this a SentencePiece model?)");
        }
        return new SentencePieceModel(file, fields);
    }

    /** The fields read so far, with sentencepiece_model.proto's defaults. */
    private static final class Fields {
        final List<String> pieces = new ArrayList<>();
        final List<Float> scores = new ArrayList<>();
        final List<Integer> types = new ArrayList<>();
        int modelType = MODEL_UNIGRAM;
        boolean byteFallback;
        boolean treatWhitespaceAsSuffix;
        String unkSurface = " \u2047 ";
        String normalizerName = "";
        int precompiledCharsmapBytes;
        int denormalizerCharsmapBytes;
        boolean addDummyPrefix = true;
        boolean removeExtraWhitespaces = true;
        boolean escapeWhitespaces = true;
    }

    private static void readPiece(Wire m, Fields f) {
        String piece = null;
        float score = 0f;
        int type = NORMAL;
        while (m.more()) {
            int tag = m.tag();
            switch (tag) {
                case (1 << 3) | 2 -> piece = m.string("piece");
                case (2 << 3) | 5 -> score = m.float32();
                case (3 << 3) -> type = (int) m.varint();
                default -> m.skip(tag);
            }
        }
        if (piece == null) {
            throw m.error("has no piece string");
        }
        f.pieces.add(piece);
        f.scores.add(score);
        f.types.add(type);
    }

    private static void readTrainerSpec(Wire m, Fields f) {
        while (m.more()) {
            int tag = m.tag();
            switch (tag) {
                case (3 << 3) -> f.modelType = (int) m.varint();
                case (24 << 3) -> f.treatWhitespaceAsSuffix = m.varint() != 0;
                case (35 << 3) -> f.byteFallback = m.varint() != 0;
                case (44 << 3) | 2 -> f.unkSurface = m.string("unk_surface");
                default -> m.skip(tag);
            }
        }
    }

    private static void readNormalizerSpec(Wire m, Fields f, boolean denormalizer) {
        while (m.more()) {
            int tag = m.tag();
            switch (tag) {
                case (1 << 3) | 2 -> {
                    String name = m.string("name");
                    if (!denormalizer) {
                        f.normalizerName = name;
                    }
                }
                case (2 << 3) | 2 -> {
                    int length = m.skipBytes();
                    if (denormalizer) {
                        f.denormalizerCharsmapBytes = length;
                    } else {
                        f.precompiledCharsmapBytes = length;
                    }
                }
                case (3 << 3) -> setIf(!denormalizer, m.varint() != 0, v -> f.addDummyPrefix = v);
                case (4 << 3) -> setIf(!denormalizer, m.varint() != 0, v -> f.removeExtraWhitespaces = v);
                case (5 << 3) -> setIf(!denormalizer, m.varint() != 0, v -> f.escapeWhitespaces = v);
                default -> m.skip(tag);
            }
        }
    }

    private static void setIf(boolean condition, boolean value, java.util.function.Consumer<Boolean> setter) {
        if (condition) {
            setter.accept(value);
        }
    }

    /** One message of the protobuf wire format: bytes [pos, limit) of the file. */
    private static final class Wire {
        private final String file;
        private final byte[] bytes;
        private final int limit;
        private final String path;
        private int pos;

        Wire(String file, byte[] bytes, int start, int limit, String path) {
            this.file = file;
            this.bytes = bytes;
            this.pos = start;
            this.limit = limit;
            this.path = path;
        }

        TokenizerFormatException error(String problem) {
            return new TokenizerFormatException(file, path + " at byte " + pos + ": " + problem);
        }

        boolean more() {
            return pos < limit;
        }

        int tag() {
            long tag = varint();
            if (tag >>> 32 != 0 || (tag >>> 3) == 0) {
                throw error("invalid field tag " + tag + " (is this a SentencePiece model?)");
            }
            return (int) tag;
        }

        long varint() {
            long value = 0;
            for (int shift = 0; shift < 70; shift += 7) {
                if (pos >= limit) {
                    throw error("truncated varint");
                }
                byte b = bytes[pos++];
                value |= (long) (b & 0x7F) << shift;
                if (b >= 0) {
                    return value;
                }
            }
            throw error("varint longer than 10 bytes");
        }

        float float32() {
            if (limit - pos < 4) {
                throw error("truncated float");
            }
            int bits = (bytes[pos] & 0xFF) | (bytes[pos + 1] & 0xFF) << 8 | (bytes[pos + 2] & 0xFF) << 16
                    | (bytes[pos + 3] & 0xFF) << 24;
            pos += 4;
            return Float.intBitsToFloat(bits);
        }

        /** A length prefix, checked against the bytes left in this message. */
        private int length() {
            long length = varint();
            if (length < 0 || length > limit - pos) {
                throw error("length " + length + " runs past the end of the message (" + (limit - pos)
                        + " bytes left)");
            }
            return (int) length;
        }

        Wire message(String field) {
            int length = length();
            Wire inner = new Wire(file, bytes, pos, pos + length, path.equals("ModelProto") ? field : path + "." + field);
            pos += length;
            return inner;
        }

        String string(String field) {
            int length = length();
            try {
                String s = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(bytes, pos, length)).toString();
                pos += length;
                return s;
            } catch (CharacterCodingException e) {
                throw error(field + " is not valid UTF-8");
            }
        }

        int skipBytes() {
            int length = length();
            pos += length;
            return length;
        }

        void skip(int tag) {
            switch (tag & 7) {
                case 0 -> varint();
                case 1 -> skipFixed(8);
                case 2 -> skipBytes();
                case 5 -> skipFixed(4);
                default -> throw error("unsupported wire type " + (tag & 7) + " in field " + (tag >>> 3));
            }
        }

        private void skipFixed(int n) {
            if (limit - pos < n) {
                throw error("truncated " + (n * 8) + "-bit field");
            }
            pos += n;
        }
    }
}
