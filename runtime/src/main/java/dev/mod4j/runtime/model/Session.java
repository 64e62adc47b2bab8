package dev.mod4j.runtime.model;

import dev.mod4j.runtime.prompt.TokenRole;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.prompt.ReducedPrompt;
import dev.mod4j.runtime.backend.LayerKvCache;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.accounting.ExactMacs;
import dev.mod4j.runtime.accounting.ModelShape;
import dev.mod4j.runtime.backend.ResidualStream;
import dev.mod4j.runtime.schedule.DenseSchedule;
import dev.mod4j.runtime.schedule.LayerPlan;
import dev.mod4j.runtime.schedule.LayerRecord;
import dev.mod4j.runtime.schedule.MergedRows;
import dev.mod4j.runtime.schedule.Phase;
import dev.mod4j.runtime.schedule.PositionRule;
import dev.mod4j.runtime.schedule.RoutingTrace;
import dev.mod4j.runtime.schedule.ScheduleContext;
import dev.mod4j.runtime.schedule.TokenSchedule;

import java.util.Arrays;

/**
 * One sequence being processed: its KV cache (one per layer) and its {@link ResidualStream} (the hidden-state rows,
 * held by the backend), all allocated once here and reused for every step. Not thread-safe; use one session per
 * thread.
 *
 * <p>The forward pass walks the layers and executes the {@link TokenSchedule}'s plan for each: the stream runs the
 * layer on the rows the plan lists (gathered into a compact batch and scattered back inside the backend; skipped rows
 * cost nothing), scales skipped rows if the plan says so, and drops rows the schedule removes for all later layers.
 * The session keeps only which token each row is; the hidden states never leave the backend in the forward pass.
 * Each layer's cache holds only what that layer processed.
 */
public final class Session {
    private final LlamaConfig config;
    private final int capacity;
    private final int hiddenSize;
    private final ModelShape shape;
    private final LayerKvCache[] caches;
    private final ResidualStream stream;
    private final float[] logits;
    private final int[] positions;
    private final int[] tokenIndices;
    private final int[] scaledRows;
    private final float[] scaleFactors;
    private final int[] rowSequenceIndex;
    private final TokenRole[] rowRole;
    private final TokenRole[] roles;
    private final RoutingTrace trace;
    private boolean tracing = true;
    private final Context context = new Context();
    private final LlamaModel model;
    private float[] finalNormWeight;
    /** Roles of the prompt as given, when a tower-side reduction rebuilt it (the accounting's dense reference). */
    private int[] pendingPromptRoles;
    private int[] pendingPatches;
    private TokenSchedule schedule = new DenseSchedule();
    private int[] lastPrefillSequenceIndices = new int[0];
    private int length;
    private int step;

    Session(LlamaModel model, int capacity) {
        this.config = model.config();
        this.model = model;
        if (capacity < 1) {
            throw new IllegalArgumentException("session capacity must be positive, got " + capacity);
        }
        if (capacity > config.maxPositionEmbeddings()) {
            throw new ContextLengthException("session", capacity + " tokens exceed the model's context of "
                    + config.maxPositionEmbeddings() + " (max_position_embeddings)");
        }
        requireMemory(model, capacity);
        this.capacity = capacity;
        this.hiddenSize = config.hiddenSize();
        this.shape = ModelShape.of(config);
        this.caches = new LayerKvCache[config.numHiddenLayers()];
        for (int i = 0; i < caches.length; i++) {
            caches[i] = new LayerKvCache(config.kvDim(), capacity);
        }
        this.stream = model.backend().newStream(capacity);
        this.logits = new float[config.vocabSize()];
        this.positions = new int[capacity];
        this.tokenIndices = new int[capacity];
        this.scaledRows = new int[capacity];
        this.scaleFactors = new float[capacity];
        this.rowSequenceIndex = new int[capacity];
        this.rowRole = new TokenRole[capacity];
        this.roles = new TokenRole[capacity];
        // A request makes at most `capacity` forward passes (a prefill, then one per token): reserve their records.
        this.trace = new RoutingTrace((int) Math.min((long) caches.length * capacity, 1 << 20));
    }

    private static void requireMemory(LlamaModel model, int capacity) {
        Runtime rt = Runtime.getRuntime();
        long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        // The host KV caches are the session's own on every backend; the stream's buffers are the backend's.
        long needed = LayerKvCache.heapBytes(model.config(), capacity) + model.backend().streamHeapBytes(capacity);
        if (needed > available) {
            throw new ContextLengthException("session", String.format("%d tokens need %.2f GiB of heap for the KV cache"
                            + " and buffers, but only %.2f GiB is free (raise the heap, e.g. -Xmx%dg, or use fewer"
                            + " tokens)", capacity, needed / (double) (1L << 30), available / (double) (1L << 30),
                    (long) Math.ceil((rt.maxMemory() + needed - available) / (double) (1L << 30)) + 1));
        }
    }

    /** Sets the token schedule for the next request; call before {@link #prefill} on an empty session. */
    public Session schedule(TokenSchedule newSchedule) {
        if (length > 0) {
            throw new IllegalStateException("set the schedule before the prefill (or after reset())");
        }
        this.schedule = newSchedule;
        return this;
    }

    public TokenSchedule schedule() {
        return schedule;
    }

    /** What every layer did so far in this request (empty while {@link #tracing(boolean) tracing} is off). */
    public RoutingTrace trace() {
        return trace;
    }

    /**
     * Whether the forward passes record a {@link RoutingTrace} (on by default: comparisons, reports and analysis
     * read it). Off, the token loop allocates nothing for it; set before {@link #prefill} on an empty session.
     */
    public Session tracing(boolean on) {
        if (length > 0) {
            throw new IllegalStateException("switch tracing before the prefill (or after reset())");
        }
        this.tracing = on;
        return this;
    }

    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    public LayerKvCache cache(int layer) {
        return caches[layer];
    }

    /** KV-cache bytes held now, summed over layers (float32 entries as stored). */
    public long kvCacheBytes() {
        long sum = 0;
        for (LayerKvCache c : caches) {
            sum += c.usedBytes();
        }
        return sum;
    }

    /** KV-cache entries held now, summed over layers. */
    public long kvCacheEntries() {
        long sum = 0;
        for (LayerKvCache c : caches) {
            sum += c.length();
        }
        return sum;
    }

    /** Sequence indices of the rows still in the residual stream at the end of the last prefill (logit rows). */
    public int[] lastPrefillSequenceIndices() {
        return lastPrefillSequenceIndices.clone();
    }

    /** Forgets the sequence and the trace (keeps the buffers and the schedule object). */
    public void reset() {
        for (LayerKvCache c : caches) {
            c.clear();
        }
        trace.clear();
        length = 0;
        step = 0;
    }

    /**
     * Runs {@code tokens} after what the session already holds (all rows at once, as matrix products) and returns the
     * logits of the last one (a view, overwritten by the next call). If {@code allLogits} is not null it receives the
     * logits of every row still in the stream at the end (all tokens unless the schedule dropped some; see
     * {@link #lastPrefillSequenceIndices()}), row-major [rows × vocab_size].
     */
    public float[] prefill(int[] tokens, float[] allLogits) {
        return prefill(PromptRows.ofTokens(tokens), allLogits);
    }

    /**
     * As {@link #prefill(int[], float[])} for a prompt that may hold image feature rows. A schedule that reduces
     * images in the vision tower ({@link TokenSchedule#imageReduction()}) gets the prompt rebuilt with the reduced
     * images first; the accounting still costs the dense reference on the prompt as given.
     */
    public float[] prefill(PromptRows prompt, float[] allLogits) {
        pendingPromptRoles = null;
        pendingPatches = null;
        if (length == 0 && schedule.imageReduction() != null && prompt.hasImages()) {
            if (prompt.imageReducer() == null) {
                throw new InvalidInputException("schedule " + schedule.spec(), "reduces images inside the vision"
                        + " tower, but this prompt came without its model (build it with MultimodalModel.prompt)");
            }
            pendingPromptRoles = countRoles(prompt.roles(), prompt.length());
            ReducedPrompt reduced = prompt.imageReducer().apply(schedule.imageReduction());
            prompt = reduced.prompt();
            pendingPatches = reduced.patchOfImageRow();
        }
        int rows = prompt.length();
        checkFits(rows);
        stream.start(rows);
        for (int r = 0; r < rows; r++) {
            int imageRow = prompt.imageRowOfPosition()[r];
            if (imageRow >= 0) {
                stream.put(r, prompt.imageRows(), imageRow * hiddenSize);
            } else {
                embed(prompt.tokenIds()[r], r, r);
            }
            roles[length + r] = prompt.roles()[r];
        }
        return run(rows, allLogits, length == 0 ? Phase.PREFILL : Phase.DECODE);
    }

    /** One generation step: feeds {@code token} and returns the next-token logits (a view). */
    public float[] decode(int token) {
        checkFits(1);
        stream.start(1);
        embed(token, 0, 0);
        roles[length] = TokenRole.RESPONSE;
        return run(1, null, Phase.DECODE);
    }

    /** The role of each position so far. */
    public TokenRole role(int position) {
        if (position < 0 || position >= length) {
            throw new IndexOutOfBoundsException(position);
        }
        return roles[position];
    }

    private void embed(int id, int row, int index) {
        if (id < 0 || id >= config.vocabSize()) {
            throw new InvalidInputException("input ids", "token id " + id + " at index " + index
                    + " is outside the vocabulary [0, " + config.vocabSize() + ")");
        }
        stream.embed(row, id);
    }

    /** Runs {@code rows} new rows (already in the stream) through every layer under the schedule. */
    private float[] run(int rows, float[] allLogits, Phase phase) {
        for (int r = 0; r < rows; r++) {
            rowSequenceIndex[r] = length + r;
            rowRole[r] = roles[length + r];
        }
        context.phase = phase;
        context.rows = rows;
        if (phase == Phase.PREFILL) {
            if (tracing) {
                trace.promptEntered(pendingPromptRoles != null ? pendingPromptRoles : countRoles(rowRole, rows));
                trace.imagesReducedInTower(pendingPatches);
            }
            context.layer = -1;
            int[] entering = schedule.beforeDecoder(context);
            if (entering != null) {
                compact(entering);
            }
        }
        for (int layer = 0; layer < caches.length; layer++) {
            context.layer = layer;
            context.tracedScores = null;
            context.rankingMacs = 0;
            LayerPlan plan = schedule.plan(layer, context);
            long macs = execute(layer, plan, context.rows);
            if (tracing) {
                record(layer, phase, plan, macs);
            }
            int[] survivors = schedule.survivors(layer, context);
            MergedRows merged = schedule.mergedRows(layer, context);
            if (merged != null) {
                merge(survivors, merged);
            } else if (survivors != null) {
                compact(survivors);
            }
            if (tracing && context.rankingMacs > 0) {
                // Ranking done in plan() or survivors(): charged to this layer's record.
                LayerRecord last = trace.records().get(context.lastRecordIndex);
                trace.replaceLast(new LayerRecord(last.layer(), last.phase(), last.step(), last.rowsIn(),
                        last.processed(), last.processedByRole(), last.gates(), last.scoredSequenceIndices(),
                        last.scores(), last.kvEntries(), last.macs(), context.rankingMacs));
            }
        }
        int alive = context.rows;
        if (allLogits != null) {
            for (int r = 0; r < alive; r++) {
                stream.logits(r, allLogits, r * config.vocabSize());
            }
            System.arraycopy(allLogits, (alive - 1) * config.vocabSize(), logits, 0, logits.length);
        } else {
            stream.logits(alive - 1, logits, 0);
        }
        if (phase == Phase.PREFILL) {
            lastPrefillSequenceIndices = Arrays.copyOf(rowSequenceIndex, alive);
        }
        length += rows;
        step++;
        return logits;
    }

    /** Executes one layer's plan over the current rows; returns the multiply-adds performed. */
    private long execute(int layer, LayerPlan plan, int rows) {
        LayerKvCache cache = caches[layer];
        int base = cache.length();
        if (plan.processesAll()) {
            for (int r = 0; r < rows; r++) {
                positions[r] = plan.positions() == PositionRule.ORIGINAL ? rowSequenceIndex[r] : base + r;
            }
            stream.decoderLayer(layer, null, rows, positions, rowSequenceIndex, plan.mlpGate(), cache);
            return layerMacs(rows, base);
        }
        int[] processed = plan.processedRows();
        int k = processed.length;
        for (int i = 0; i < k; i++) {
            int r = processed[i];
            positions[i] = plan.positions() == PositionRule.ORIGINAL ? rowSequenceIndex[r] : base + i;
            tokenIndices[i] = rowSequenceIndex[r];
        }
        if (k > 0) {
            stream.decoderLayer(layer, processed, k, positions, tokenIndices, plan.mlpGate(), cache);
        }
        float[] scale = plan.skippedRowScale();
        if (scale != null) {
            int scaled = 0;
            int next = 0;
            for (int r = 0; r < rows; r++) {
                if (next < k && processed[next] == r) {
                    next++;
                } else if (scale[r] != 1f) {
                    scaledRows[scaled] = r;
                    scaleFactors[scaled++] = scale[r];
                }
            }
            if (scaled > 0) {
                stream.scaleRows(scaledRows, scaleFactors, scaled);
            }
        }
        return layerMacs(k, base);
    }

    /** Exact multiply-adds of one layer over {@code rows} new rows on a cache of {@code base} entries. */
    private long layerMacs(int rows, int base) {
        return ExactMacs.layerMacs(shape, rows, ExactMacs.causalVisibleKeys(base, rows));
    }

    private void record(int layer, Phase phase, LayerPlan plan, long macs) {
        int rows = context.rows;
        int[] processedSeq;
        int[] byRole = new int[TokenRole.values().length];
        if (plan.processesAll()) {
            processedSeq = Arrays.copyOf(rowSequenceIndex, rows);
            for (int r = 0; r < rows; r++) {
                byRole[rowRole[r].ordinal()]++;
            }
        } else {
            processedSeq = new int[plan.processedRows().length];
            for (int i = 0; i < processedSeq.length; i++) {
                int r = plan.processedRows()[i];
                processedSeq[i] = rowSequenceIndex[r];
                byRole[rowRole[r].ordinal()]++;
            }
        }
        float[] scores = plan.scores();
        int[] scored = scores == null ? null : Arrays.copyOf(rowSequenceIndex, rows);
        trace.add(new LayerRecord(layer, phase, step, rows, processedSeq, byRole, plan.mlpGate(), scored, scores,
                caches[layer].length(), macs, 0));
        context.lastRecordIndex = trace.records().size() - 1;
    }

    private static int[] countRoles(TokenRole[] roleOfRow, int rows) {
        int[] byRole = new int[TokenRole.values().length];
        for (int r = 0; r < rows; r++) {
            byRole[roleOfRow[r].ordinal()]++;
        }
        return byRole;
    }

    /** Keeps only the given current rows (ascending) in the residual stream. */
    private void compact(int[] survivors) {
        stream.keepRows(survivors, survivors.length);
        for (int i = 0; i < survivors.length; i++) {
            int r = survivors[i];
            if (r != i) {
                rowSequenceIndex[i] = rowSequenceIndex[r];
                rowRole[i] = rowRole[r];
            }
        }
        context.rows = survivors.length;
    }

    /**
     * Keeps the survivors (null: every row) and inserts the schedule's new rows among them, built on the host from
     * the rows as the layer left them; the stream is then refilled with the result (one host round trip).
     */
    private void merge(int[] survivors, MergedRows merged) {
        int rows = context.rows;
        int[] kept = survivors != null ? survivors : java.util.stream.IntStream.range(0, rows).toArray();
        int total = kept.length + merged.count();
        if (total > capacity) {
            throw new IllegalStateException("schedule " + schedule.spec() + " grows the stream to " + total
                    + " rows, beyond the session's capacity of " + capacity);
        }
        float[] host = stream.hostRows();
        float[] out = new float[total * hiddenSize];
        int[] sequenceIndex = new int[total];
        TokenRole[] role = new TokenRole[total];
        int o = 0;
        for (int i = 0; i <= kept.length; i++) {
            if (i == merged.insertAt()) {
                for (int c = 0; c < merged.count(); c++, o++) {
                    int[] members = merged.members()[c];
                    float[] weights = merged.weights()[c];
                    for (int j = 0; j < members.length; j++) {
                        int from = members[j] * hiddenSize;
                        for (int col = 0; col < hiddenSize; col++) {
                            out[o * hiddenSize + col] += host[from + col] * weights[j];
                        }
                    }
                    sequenceIndex[o] = merged.sequenceIndex()[c];
                    role[o] = merged.role();
                }
            }
            if (i < kept.length) {
                System.arraycopy(host, kept[i] * hiddenSize, out, o * hiddenSize, hiddenSize);
                sequenceIndex[o] = rowSequenceIndex[kept[i]];
                role[o] = rowRole[kept[i]];
                o++;
            }
        }
        stream.replaceRows(out, total, hiddenSize);
        System.arraycopy(sequenceIndex, 0, rowSequenceIndex, 0, total);
        System.arraycopy(role, 0, rowRole, 0, total);
        context.rows = total;
    }

    private void checkFits(int rows) {
        if (rows < 1) {
            throw new InvalidInputException("input ids", "no tokens to run");
        }
        if (length + rows > capacity) {
            throw new ContextLengthException("prompt", (length + rows) + " tokens do not fit this session's capacity of "
                    + capacity + " (model context " + config.maxPositionEmbeddings() + ")");
        }
        // Mistral's sliding window: up to the window every key is attended, exactly what this session computes;
        // beyond it the oldest keys would have to drop out, which is not implemented, so refuse by name.
        if (config.slidingWindow() != null && length + rows > config.slidingWindow()) {
            throw new ContextLengthException("sliding_window", (length + rows) + " positions exceed the decoder's"
                    + " sliding attention window of " + config.slidingWindow() + " (Mistral); mod4j attends to the"
                    + " whole sequence and does not implement the window, so it stops here");
        }
    }

    private float[] finalNorm() {
        if (finalNormWeight == null) {
            finalNormWeight = model.backend().hostWeights().norm();
        }
        return finalNormWeight;
    }

    /** Rows {@code rows} of {@code host}, after an RMSNorm with {@code normWeight} if not null, divided by max(‖x‖, 1e-8). */
    private float[][] unitRows(float[] host, int[] rows, float[] normWeight) {
        float[][] out = new float[rows.length][hiddenSize];
        for (int i = 0; i < rows.length; i++) {
            float[] x = out[i];
            System.arraycopy(host, rows[i] * hiddenSize, x, 0, hiddenSize);
            if (normWeight != null) {
                float squares = 0;
                for (float v : x) {
                    squares += v * v;
                }
                float inv = (float) (1 / Math.sqrt(squares / hiddenSize + config.rmsNormEps()));
                for (int c = 0; c < hiddenSize; c++) {
                    x[c] = x[c] * inv * normWeight[c];
                }
            }
            double squares = 0;
            for (float v : x) {
                squares += (double) v * v;
            }
            float scale = (float) (1 / Math.max(Math.sqrt(squares), 1e-8));
            for (int c = 0; c < hiddenSize; c++) {
                x[c] *= scale;
            }
        }
        return out;
    }

    private static float dot(float[] x, float[] y) {
        // Four partial sums: independent chains the JIT can keep in flight.
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int n = x.length, c = 0;
        for (; c + 3 < n; c += 4) {
            s0 += x[c] * y[c];
            s1 += x[c + 1] * y[c + 1];
            s2 += x[c + 2] * y[c + 2];
            s3 += x[c + 3] * y[c + 3];
        }
        for (; c < n; c++) {
            s0 += x[c] * y[c];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** The schedule's view of the run. */
    private final class Context implements ScheduleContext {
        Phase phase;
        int rows;
        int layer;
        float[] tracedScores;
        int lastRecordIndex = -1;
        /** Multiply-adds of the attention ranking the schedule asked for at the current layer. */
        long rankingMacs;

        @Override
        public Phase phase() {
            return phase;
        }

        @Override
        public LlamaConfig config() {
            return config;
        }

        @Override
        public int rows() {
            return rows;
        }

        @Override
        public TokenRole role(int row) {
            return rowRole[row];
        }

        @Override
        public int sequenceIndex(int row) {
            return rowSequenceIndex[row];
        }

        @Override
        public float[] hidden() {
            return stream.hostRows();
        }

        @Override
        public int cacheLength(int layer) {
            return caches[layer].length();
        }

        @Override
        public float[] rowScores(int[] scoredRows, int normLayer, float[] weight, float[] bias, int outputs) {
            int count = scoredRows == null ? rows : scoredRows.length;
            return stream.rowScores(scoredRows, count, normLayer, weight, bias, outputs);
        }

        @Override
        public float[] attentionFrom(int queryRow, int layer, PositionRule rule) {
            int[] rowPositions = new int[queryRow + 1];
            for (int r = 0; r <= queryRow; r++) {
                rowPositions[r] = rule == PositionRule.ORIGINAL ? rowSequenceIndex[r] : r;
            }
            rankingMacs += ExactMacs.attentionRankingMacs(shape, queryRow + 1, 1, queryRow + 1);
            return Arrays.copyOf(stream.attentionFrom(queryRow, layer, rowPositions), rows);
        }

        @Override
        public float[] attentionFrom(int[] queryRows, int layer, PositionRule rule) {
            int width = queryRows.length == 0 ? 0 : queryRows[queryRows.length - 1] + 1;
            int[] rowPositions = new int[width];
            for (int r = 0; r < width; r++) {
                rowPositions[r] = rule == PositionRule.ORIGINAL ? rowSequenceIndex[r] : r;
            }
            if (queryRows.length > 0) {
                // Keys up to the last query; queries projected from the first query row on (AttentionProbabilities).
                long visible = 0;
                for (int q : queryRows) {
                    visible += q + 1;
                }
                rankingMacs += ExactMacs.attentionRankingMacs(shape, width, width - queryRows[0], visible);
            }
            float[] byQuery = stream.attentionFrom(queryRows, layer, rowPositions);
            float[] out = new float[queryRows.length * rows];
            for (int i = 0; i < queryRows.length; i++) {
                System.arraycopy(byQuery, i * width, out, i * rows, width);
            }
            return out;
        }

        @Override
        public float[] keyL1Norms(int layer) {
            LayerKvCache cache = caches[layer];
            stream.copyCacheToHost(layer, cache);
            float[] keys = cache.keys();
            int kvDim = cache.kvDim();
            float[] norms = new float[rows];
            Arrays.fill(norms, Float.NaN);
            for (int e = 0; e < cache.length(); e++) {
                // Current rows are in ascending sequence order; an entry belongs to the row of its token.
                int row = Arrays.binarySearch(rowSequenceIndex, 0, rows, cache.tokenIndex(e));
                if (row >= 0) {
                    float sum = 0;
                    for (int c = e * kvDim, end = c + kvDim; c < end; c++) {
                        sum += Math.abs(keys[c]);
                    }
                    norms[row] = sum;
                }
            }
            return norms;
        }

        @Override
        public float[] cosineSimilarities(int[] a, int[] b, boolean afterFinalNorm) {
            float[] host = stream.hostRows();
            float[] normWeight = afterFinalNorm ? finalNorm() : null;
            float[][] unitA = unitRows(host, a, normWeight);
            boolean square = Arrays.equals(a, b);
            float[][] unitB = square ? unitA : unitRows(host, b, normWeight);
            float[] out = new float[a.length * b.length];
            for (int i = 0; i < a.length; i++) {
                // A matrix of a set with itself (DivPrune) is symmetric: compute one triangle.
                for (int j = square ? i : 0; j < b.length; j++) {
                    out[i * b.length + j] = dot(unitA[i], unitB[j]);
                    if (square) {
                        out[j * b.length + i] = out[i * b.length + j];
                    }
                }
            }
            return out;
        }

        @Override
        public void traceScores(float[] scorePerRow) {
            if (!tracing) {
                return;
            }
            LayerRecord last = trace.records().get(lastRecordIndex);
            trace.replaceLast(new LayerRecord(last.layer(), last.phase(), last.step(), last.rowsIn(), last.processed(),
                    last.processedByRole(), last.gates(), Arrays.copyOf(rowSequenceIndex, rows), scorePerRow.clone(),
                    last.kvEntries(), last.macs(), last.rankingMacs()));
        }
    }
}
