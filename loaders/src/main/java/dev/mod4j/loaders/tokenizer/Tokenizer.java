package dev.mod4j.loaders.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A LLaMA / Vicuna / LLaVA-1.5 tokenizer loaded from a HuggingFace tokenizer.json (SentencePiece BPE
 * converted to the {@code tokenizers} format), encoding and decoding exactly as HF tokenizers does
 * for those files. Immutable and thread-safe once loaded.
 *
 * <h2>Encoding</h2>
 * As in HF tokenizers' {@code AddedVocabulary::extract_and_normalize}:
 * <ol>
 *   <li>Added tokens with {@code "normalized": false} (LLaMA's {@code <s>}, {@code </s>},
 *       {@code <unk>}, LLaVA's {@code <image>}) are found in the raw text, leftmost-longest, and
 *       become their ids; they are never split or normalized.</li>
 *   <li>The normalizer runs on each piece of text between them separately. The rule this gives for
 *       "▁" (U+2581, SentencePiece's space) around added tokens:
 *       <ul>
 *         <li>legacy LLaMA files ({@code Sequence[Prepend("▁"), Replace(" "→"▁")]}, no pre-tokenizer):
 *             every non-empty piece of text gets a "▁" prepended, including text right after an
 *             added token. So {@code "USER: <image>\nWhat"} is encoded as
 *             {@code "▁USER:▁"}, {@code <image>}, {@code "▁\nWhat"}: the "▁" token before the newline
 *             is HF's behaviour (llava-hf ids read {@code ..., 29871, 32000, 29871, 13, ...}), not a
 *             bug here. Text that already starts with a space gets a second "▁".</li>
 *         <li>newer files ({@code normalizer: null}, {@code Metaspace} pre-tokenizer): with
 *             {@code prepend_scheme "first"} only the piece starting at offset 0 of the text gets a
 *             "▁", and only if it does not already start with a space; with {@code "always"} every
 *             piece that does not start with a space gets one.</li>
 *       </ul></li>
 *   <li>Added tokens with {@code "normalized": true} are then found in the normalized text.</li>
 *   <li>The Metaspace pre-tokenizer, if any, runs on each remaining piece, then BPE on each word.</li>
 * </ol>
 * The post-processor is not applied: callers say whether they want {@code <s>}
 * ({@link #encode(String, boolean)}); {@link #addBosByDefault()} tells what transformers would do.
 * Unpaired UTF-16 surrogates, which have no UTF-8 form, are encoded as U+FFFD.
 *
 * <h2>Round trip</h2>
 * With the LLaMA decoder ({@code ..., Strip(" ", 1, 0)}), for any text containing no added-token
 * string, {@code decode(encode(text, false)).equals(text)}: the encoder's one prepended "▁" decodes
 * to the one leading space that Strip removes. With a Metaspace {@code "first"} file, text starting
 * with a space loses one leading space (no "▁" was prepended, yet Strip still removes one), as in HF.
 * Text after an added token decodes with the extra leading space the prepended "▁" stands for.
 *
 * <h2>SentencePiece tokenizer.model</h2>
 * A directory with a tokenizer.model and no tokenizer.json (liuhaotian's LLaVA, p-MoD) is read as
 * transformers' slow {@code LlamaTokenizer} reads it: SentencePiece BPE ({@link SentencePieceBpe})
 * under the slow tokenizer's added-token and {@code legacy} rules ({@link SlowLlamaEncoder}), with
 * tokenizer_config.json's {@code add_bos_token}, {@code add_eos_token}, {@code legacy} and
 * {@code added_tokens_decoder}, and special_tokens_map.json. Decoding is SentencePiece's
 * {@code decode} for each run of ordinary pieces, special tokens written as their text between runs
 * (as the slow tokenizer's {@code convert_tokens_to_string} does, without its legacy extra spaces).
 */
public final class Tokenizer {
    /** Which kind of file the tokenizer was read from. */
    public enum Kind {
        TOKENIZER_JSON("tokenizer.json BPE"),
        SENTENCEPIECE("SentencePiece tokenizer.model");

        private final String description;

        Kind(String description) {
            this.description = description;
        }

        /** As {@code inspect} prints it. */
        public String description() {
            return description;
        }
    }

    private final String file;
    /** Set for a tokenizer.model; then the tokenizer.json fields below are null. */
    private final SentencePieceBpe sentencePiece;
    private final SlowLlamaEncoder slowEncoder;
    private final BpeModel model;
    private final Normalizer normalizer;
    private final MetaspacePreTokenizer preTokenizer;
    private final TokenDecoder decoder;
    /** Added tokens matched in the raw text ({@code "normalized": false}). */
    private final AddedTokenSplitter rawSplitter;
    /** Added tokens matched in the normalized text, by their normalized content. */
    private final AddedTokenSplitter normalizedSplitter;
    /** The text of every id: an added token's (normalized) content, or the model's piece. */
    private final String[] tokenTexts;
    private final boolean[] special;
    private final Map<String, Integer> addedIds;
    private final int bosId;
    private final int eosId;
    private final int unkId;
    private final int padId;
    private final boolean addBosByDefault;
    private final boolean addEosByDefault;

    private Tokenizer(TokenizerJsonReader.Contents json, TokenizerConfig config, String configFile) {
        file = json.file();
        sentencePiece = null;
        slowEncoder = null;
        model = json.model();
        normalizer = json.normalizer();
        preTokenizer = json.preTokenizer();
        decoder = json.decoder();
        String[] pieces = json.pieces();
        int idCount = pieces.length + (int) json.addedTokens().stream().filter(t -> t.id() >= pieces.length).count();
        tokenTexts = new String[idCount];
        System.arraycopy(pieces, 0, tokenTexts, 0, pieces.length);
        special = new boolean[idCount];
        addedIds = new HashMap<>();
        Map<String, AddedToken> rawPatterns = new HashMap<>();
        Map<String, AddedToken> normalizedPatterns = new HashMap<>();
        for (AddedToken token : json.addedTokens()) {
            // Like HF, a normalized added token is matched, and decoded, as its normalized content.
            String text = token.normalized() ? normalizer.normalize(token.content()) : token.content();
            (token.normalized() ? normalizedPatterns : rawPatterns).put(text, token);
            tokenTexts[token.id()] = text;
            special[token.id()] = token.special();
            addedIds.put(token.content(), token.id());
        }
        rawSplitter = new AddedTokenSplitter(rawPatterns);
        normalizedSplitter = new AddedTokenSplitter(normalizedPatterns);

        // tokenizer_config.json decides where it speaks; otherwise the post-processor's template.
        int[] prefix = json.templatePrefixIds();
        int[] suffix = json.templateSuffixIds();
        bosId = config.bosToken() != null ? configTokenId(config.bosToken(), "bos_token", configFile)
                : prefix.length == 1 ? prefix[0] : idOrMinusOne("<s>");
        eosId = config.eosToken() != null ? configTokenId(config.eosToken(), "eos_token", configFile)
                : suffix.length == 1 ? suffix[0] : idOrMinusOne("</s>");
        unkId = config.unkToken() != null ? configTokenId(config.unkToken(), "unk_token", configFile)
                : json.modelUnkToken() != null ? idOrMinusOne(json.modelUnkToken()) : -1;
        padId = config.padToken() != null ? configTokenId(config.padToken(), "pad_token", configFile) : -1;
        addBosByDefault = config.addBosToken() != null ? config.addBosToken() : prefix.length == 1;
        addEosByDefault = config.addEosToken() != null ? config.addEosToken() : suffix.length == 1;
        if (addBosByDefault && bosId < 0) {
            throw new TokenizerFormatException(configFile, "add_bos_token is true but no bos token is known");
        }
        if (addEosByDefault && eosId < 0) {
            throw new TokenizerFormatException(configFile, "add_eos_token is true but no eos token is known");
        }
    }

    /**
     * Loads {@code dir/tokenizer.json} (and {@code dir/tokenizer_config.json} if present) when given a
     * directory, or the given tokenizer.json file (and the tokenizer_config.json beside it, if any).
     *
     * @throws TokenizerFormatException if a file is missing, malformed, or uses what mod4j does not support
     */
    public static Tokenizer load(Path dirOrFile) {
        if (Files.isDirectory(dirOrFile) && !Files.exists(dirOrFile.resolve("tokenizer.json"))
                && Files.exists(dirOrFile.resolve("tokenizer.model"))
                || !Files.isDirectory(dirOrFile) && dirOrFile.toString().endsWith(".model")) {
            return loadSentencePiece(Files.isDirectory(dirOrFile) ? dirOrFile.resolve("tokenizer.model") : dirOrFile);
        }
        Path json = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("tokenizer.json") : dirOrFile;
        Path configPath = json.resolveSibling("tokenizer_config.json");
        TokenizerJsonReader.Contents contents = TokenizerJsonReader.read(json);
        TokenizerConfig config = Files.exists(configPath) ? TokenizerConfig.read(configPath)
                : TokenizerConfig.ABSENT;
        return new Tokenizer(contents, config, configPath.toString());
    }

    /** Whether a model directory has a tokenizer mod4j can load (tokenizer.json or tokenizer.model). */
    public static boolean isPresentIn(Path directory) {
        return kindIn(directory).isPresent();
    }

    /** The kind of tokenizer {@link #load} would read from a model directory, without reading it. */
    public static java.util.Optional<Kind> kindIn(Path directory) {
        // Present means there (a FIFO or directory in its place is then refused by name when read).
        if (Files.exists(directory.resolve("tokenizer.json"))) {
            return java.util.Optional.of(Kind.TOKENIZER_JSON);
        }
        return Files.exists(directory.resolve("tokenizer.model")) ? java.util.Optional.of(Kind.SENTENCEPIECE)
                : java.util.Optional.empty();
    }

    private static Tokenizer loadSentencePiece(Path modelFile) {
        SentencePieceModel model = SentencePieceModel.read(modelFile);
        Path configPath = modelFile.resolveSibling("tokenizer_config.json");
        SlowTokenizerConfig config = SlowTokenizerConfig.read(configPath,
                modelFile.resolveSibling("special_tokens_map.json"));
        return new Tokenizer(model, config, configPath.toString());
    }

    private Tokenizer(SentencePieceModel sp, SlowTokenizerConfig config, String configFile) {
        file = sp.file;
        sentencePiece = new SentencePieceBpe(sp);
        model = null;
        normalizer = null;
        preTokenizer = null;
        decoder = null;
        rawSplitter = null;
        normalizedSplitter = null;
        // LlamaTokenizer's defaults for what tokenizer_config.json leaves out.
        TokenizerConfig named = config.special();
        String bos = named.bosToken() != null ? named.bosToken() : "<s>";
        String eos = named.eosToken() != null ? named.eosToken() : "</s>";
        String unk = named.unkToken() != null ? named.unkToken() : "<unk>";
        String pad = named.padToken();
        Set<String> allSpecial = new LinkedHashSet<>(List.of(bos, eos, unk));
        if (pad != null) {
            allSpecial.add(pad);
        }
        allSpecial.addAll(config.additionalSpecialTokens());

        Map<String, AddedToken> added = new LinkedHashMap<>();
        int nextId = sp.pieces.length;
        for (AddedToken token : config.addedTokens()) {
            added.put(token.content(), token);
            nextId = Math.max(nextId, token.id() + 1);
        }
        // Special tokens not in added_tokens_decoder are added as transformers' _add_tokens does:
        // a piece of the model keeps its id, anything else gets the next free one.
        for (String content : allSpecial) {
            if (!added.containsKey(content)) {
                Integer id = sp.reservedPieces.get(content);
                if (id == null) {
                    id = sp.mergeablePieces.get(content);
                }
                added.put(content, new AddedToken(id != null ? id : nextId++, content, true, false, false, false,
                        false));
            }
        }
        int idCount = Math.max(sp.pieces.length, nextId);
        tokenTexts = new String[idCount];
        java.util.Arrays.fill(tokenTexts, "");
        System.arraycopy(sp.pieces, 0, tokenTexts, 0, sp.pieces.length);
        special = new boolean[idCount];
        for (int id = 0; id < sp.pieces.length; id++) {
            special[id] = sp.types[id] == SentencePieceModel.CONTROL;
        }
        addedIds = new HashMap<>();
        for (AddedToken token : added.values()) {
            tokenTexts[token.id()] = token.content();
            special[token.id()] |= token.special() || allSpecial.contains(token.content());
            addedIds.put(token.content(), token.id());
        }
        bosId = addedIds.get(bos);
        eosId = addedIds.get(eos);
        unkId = addedIds.get(unk);
        padId = pad == null ? -1 : addedIds.get(pad);
        addBosByDefault = named.addBosToken() == null || named.addBosToken();
        addEosByDefault = named.addEosToken() != null && named.addEosToken();
        // transformers 4.37.2: legacy absent → true (with a warning).
        boolean legacy = config.legacy() == null || config.legacy();
        slowEncoder = new SlowLlamaEncoder(sentencePiece, legacy, unk, added, allSpecial);
    }

    /** Which kind of file this tokenizer was read from. */
    public Kind kind() {
        return sentencePiece != null ? Kind.SENTENCEPIECE : Kind.TOKENIZER_JSON;
    }

    private int configTokenId(String content, String field, String configFile) {
        OptionalInt id = idOf(content);
        if (id.isEmpty()) {
            throw new TokenizerFormatException(configFile, field + ": " + JsonFields.quote(content)
                    + " is not a token of " + file);
        }
        return id.getAsInt();
    }

    private int idOrMinusOne(String content) {
        return idOf(content).orElse(-1);
    }

    // ---- encoding ----

    /** Encodes text, with {@code <s>} first if {@code addBos}, and no eos. */
    public int[] encode(String text, boolean addBos) {
        return encode(text, addBos, false);
    }

    /**
     * Encodes text, with the bos token first if {@code addBos} and the eos token last if
     * {@code addEos}.
     *
     * @throws TokenizerFormatException if bos or eos is asked for and the tokenizer file defines none (a
     *         tokenizer.json that cannot serve the model's prompt format)
     */
    public int[] encode(String text, boolean addBos, boolean addEos) {
        Objects.requireNonNull(text, "text");
        if (addBos && bosId < 0) {
            throw new TokenizerFormatException(file, "the prompt needs a bos token, but the tokenizer defines none"
                    + " (no <s> added token and no bos_token in tokenizer_config.json)");
        }
        if (addEos && eosId < 0) {
            throw new TokenizerFormatException(file, "an eos token was asked for, but the tokenizer defines none"
                    + " (no </s> added token and no eos_token in tokenizer_config.json)");
        }
        IntList ids = new IntList(text.length() / 2 + 2);
        if (addBos) {
            ids.add(bosId);
        }
        String clean = withoutLoneSurrogates(text);
        if (slowEncoder != null) {
            slowEncoder.encode(clean, ids);
            if (addEos) {
                ids.add(eosId);
            }
            return ids.toArray();
        }
        for (AddedTokenSplitter.Segment raw : rawSplitter.split(clean)) {
            if (raw.token() != null) {
                ids.add(raw.token().id());
                continue;
            }
            String normalized = normalizer.normalize(clean.substring(raw.start(), raw.end()));
            for (AddedTokenSplitter.Segment piece : normalizedSplitter.split(normalized)) {
                if (piece.token() != null) {
                    ids.add(piece.token().id());
                    continue;
                }
                String pieceText = normalized.substring(piece.start(), piece.end());
                if (preTokenizer == null) {
                    model.encodeWord(pieceText, ids);
                } else {
                    boolean startsText = raw.start() == 0 && piece.start() == 0;
                    for (String word : preTokenizer.preTokenize(pieceText, startsText)) {
                        model.encodeWord(word, ids);
                    }
                }
            }
        }
        if (addEos) {
            ids.add(eosId);
        }
        return ids.toArray();
    }

    private static String withoutLoneSurrogates(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (Character.isSurrogate(text.charAt(i))) {
                // Rare: rebuild only when the text has surrogates at all.
                StringBuilder sb = new StringBuilder(text.length());
                text.codePoints().forEach(cp -> sb.appendCodePoint(cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : cp));
                return sb.toString();
            }
        }
        return text;
    }

    // ---- decoding ----

    /** Decodes ids to text, special tokens included. */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * Decodes ids to text through the file's decoder, as HF's {@code decode(ids, skip_special_tokens)}.
     * Ids that are no token (negative, or not below {@link #vocabSize()}) are skipped, as HF does;
     * a model's embedding table is often padded past the tokenizer's vocab.
     */
    public String decode(int[] ids, boolean skipSpecial) {
        return decode(ids, 0, ids.length, skipSpecial);
    }

    String decode(int[] ids, int from, int to, boolean skipSpecial) {
        if (sentencePiece != null) {
            return decodeSentencePiece(ids, from, to, skipSpecial);
        }
        List<String> tokens = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            int id = ids[i];
            if (id >= 0 && id < tokenTexts.length && !(skipSpecial && special[id])) {
                tokens.add(tokenTexts[id]);
            }
        }
        return tokens.isEmpty() ? "" : decoder.decode(tokens);
    }

    private String decodeSentencePiece(int[] ids, int from, int to, boolean skipSpecial) {
        int pieceCount = sentencePiece.model().pieces.length;
        StringBuilder text = new StringBuilder();
        int[] run = new int[to - from];
        int runSize = 0;
        for (int i = from; i < to; i++) {
            int id = ids[i];
            if (id < 0 || id >= tokenTexts.length || skipSpecial && special[id]) {
                continue;
            }
            if (special[id] || id >= pieceCount) {
                text.append(sentencePiece.decode(run, 0, runSize)).append(tokenTexts[id]);
                runSize = 0;
            } else {
                run[runSize++] = id;
            }
        }
        return text.append(sentencePiece.decode(run, 0, runSize)).toString();
    }

    /** A new decoder for printing generated ids as they come; special tokens included. */
    public StreamingDecoder streamingDecoder() {
        return new StreamingDecoder(this, false);
    }

    /** A new decoder for printing generated ids as they come. */
    public StreamingDecoder streamingDecoder(boolean skipSpecial) {
        return new StreamingDecoder(this, skipSpecial);
    }

    // ---- vocabulary ----

    /** The number of ids: the model's vocab plus the added tokens beyond it (LLaVA-1.5: 32000 + 2). */
    public int vocabSize() {
        return tokenTexts.length;
    }

    /**
     * The token string of an id as the file writes it: {@code "▁Hello"}, {@code "<0x0A>"}, {@code "<image>"}.
     *
     * @throws IllegalArgumentException if the id is not below {@link #vocabSize()} or is negative
     */
    public String tokenText(int id) {
        checkId(id);
        return tokenTexts[id];
    }

    /** The id of a token string: an added token's content, or a piece of the model's vocab. */
    public OptionalInt idOf(String token) {
        Integer id = addedIds.get(token);
        if (id == null && sentencePiece != null) {
            SentencePieceModel sp = sentencePiece.model();
            id = sp.reservedPieces.containsKey(token) ? sp.reservedPieces.get(token) : sp.mergeablePieces.get(token);
        } else if (id == null) {
            id = model.idOf(token);
        }
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Whether the id is an added token marked special (skipped by {@code decode(ids, true)}). */
    public boolean isSpecial(int id) {
        checkId(id);
        return special[id];
    }

    private void checkId(int id) {
        if (id < 0 || id >= tokenTexts.length) {
            throw new IllegalArgumentException("token id " + id + " is out of range 0 to " + (tokenTexts.length - 1));
        }
    }

    // ---- special tokens ----

    /**
     * The beginning-of-sequence token: tokenizer_config.json's {@code bos_token}, else the special
     * token the post-processor puts first, else {@code <s>} if the vocab has it.
     */
    public OptionalInt bosId() {
        return bosId < 0 ? OptionalInt.empty() : OptionalInt.of(bosId);
    }

    /**
     * The end-of-sequence token: tokenizer_config.json's {@code eos_token}, else the special token
     * the post-processor puts last, else {@code </s>} if the vocab has it.
     */
    public OptionalInt eosId() {
        return eosId < 0 ? OptionalInt.empty() : OptionalInt.of(eosId);
    }

    /** tokenizer_config.json's {@code unk_token}, else the model's. */
    public OptionalInt unkId() {
        return unkId < 0 ? OptionalInt.empty() : OptionalInt.of(unkId);
    }

    /** tokenizer_config.json's {@code pad_token}, if it names one. */
    public OptionalInt padId() {
        return padId < 0 ? OptionalInt.empty() : OptionalInt.of(padId);
    }

    /**
     * Whether transformers would start an encoding with bos: tokenizer_config.json's
     * {@code add_bos_token}, else whether the post-processor template starts with a special token.
     */
    public boolean addBosByDefault() {
        return addBosByDefault;
    }

    /** Like {@link #addBosByDefault()}, for {@code add_eos_token} and the end of the template. */
    public boolean addEosByDefault() {
        return addEosByDefault;
    }
}
