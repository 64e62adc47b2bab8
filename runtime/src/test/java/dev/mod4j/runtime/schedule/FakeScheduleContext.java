package dev.mod4j.runtime.schedule;

import dev.mod4j.loaders.config.LlamaConfig;
import dev.mod4j.runtime.prompt.TokenRole;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link ScheduleContext} without a model: rows with given roles, and the scores a backend would compute given
 * per layer by the test. Records what the schedule asked for.
 */
final class FakeScheduleContext implements ScheduleContext {
    /** A request to {@link #attentionFrom}. */
    record AttentionCall(int queryRow, int layer, PositionRule positions) {
    }

    /** A request to {@link #rowScores}. */
    record RowScoresCall(int[] rows, int normLayer, int outputs) {
    }

    private final Phase phase;
    private final TokenRole[] roles;
    private final Map<Integer, float[]> attentionByLayer = new HashMap<>();
    private float[] logitOfRow;
    private float[] keyNormOfRow;
    private float[][] vectorOfRow;
    final List<Integer> keyNormLayers = new ArrayList<>();
    final List<AttentionCall> attentionCalls = new ArrayList<>();
    final List<RowScoresCall> rowScoresCalls = new ArrayList<>();
    float[] traced;

    /**
     * @param roles one letter per current row: S system, I image, Q instruction, R response
     */
    FakeScheduleContext(Phase phase, String roles) {
        this.phase = phase;
        this.roles = roles.chars().mapToObj(c -> switch (c) {
            case 'S' -> TokenRole.SYSTEM;
            case 'I' -> TokenRole.IMAGE;
            case 'Q' -> TokenRole.INSTRUCTION;
            case 'R' -> TokenRole.RESPONSE;
            default -> throw new IllegalArgumentException("role letter " + (char) c);
        }).toArray(TokenRole[]::new);
    }

    static FakeScheduleContext prefill(String roles) {
        return new FakeScheduleContext(Phase.PREFILL, roles);
    }

    static FakeScheduleContext decode(String roles) {
        return new FakeScheduleContext(Phase.DECODE, roles);
    }

    /** What {@link #attentionFrom} returns for {@code layer}: one probability per current row. */
    FakeScheduleContext attention(int layer, float... perRow) {
        attentionByLayer.put(layer, perRow);
        return this;
    }

    /** What a one-output router gives each current row ({@link #rowScores} picks the requested rows). */
    FakeScheduleContext logits(float... perRow) {
        logitOfRow = perRow;
        return this;
    }

    @Override
    public Phase phase() {
        return phase;
    }

    @Override
    public LlamaConfig config() {
        throw new UnsupportedOperationException("no model behind a fake context");
    }

    @Override
    public int rows() {
        return roles.length;
    }

    @Override
    public TokenRole role(int row) {
        return roles[row];
    }

    @Override
    public int sequenceIndex(int row) {
        return row;
    }

    @Override
    public float[] hidden() {
        throw new UnsupportedOperationException("no hidden states behind a fake context");
    }

    @Override
    public int cacheLength(int layer) {
        return 0;
    }

    @Override
    public float[] rowScores(int[] rows, int normLayer, float[] weight, float[] bias, int outputs) {
        rowScoresCalls.add(new RowScoresCall(rows, normLayer, outputs));
        int[] which = rows != null ? rows : java.util.stream.IntStream.range(0, rows()).toArray();
        float[] out = new float[which.length];
        for (int i = 0; i < which.length; i++) {
            out[i] = logitOfRow[which[i]];
        }
        return out;
    }

    @Override
    public float[] attentionFrom(int queryRow, int layer, PositionRule positions) {
        attentionCalls.add(new AttentionCall(queryRow, layer, positions));
        float[] scores = attentionByLayer.get(layer);
        if (scores == null) {
            throw new AssertionError("the test gave no attention for layer " + layer);
        }
        return scores.clone();
    }

    /** What {@link #keyL1Norms} returns: one norm per current row. */
    FakeScheduleContext keyNorms(float... perRow) {
        keyNormOfRow = perRow;
        return this;
    }

    /** Row vectors {@link #cosineSimilarities} compares (the final norm is taken as the identity). */
    FakeScheduleContext vectors(float[]... perRow) {
        vectorOfRow = perRow;
        return this;
    }

    @Override
    public float[] keyL1Norms(int layer) {
        keyNormLayers.add(layer);
        return keyNormOfRow.clone();
    }

    @Override
    public float[] cosineSimilarities(int[] a, int[] b, boolean afterFinalNorm) {
        float[] out = new float[a.length * b.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b.length; j++) {
                float[] x = vectorOfRow[a[i]];
                float[] y = vectorOfRow[b[j]];
                double dot = 0, xx = 0, yy = 0;
                for (int c = 0; c < x.length; c++) {
                    dot += x[c] * y[c];
                    xx += x[c] * x[c];
                    yy += y[c] * y[c];
                }
                out[i * b.length + j] = (float) (dot / Math.sqrt(xx) / Math.sqrt(yy));
            }
        }
        return out;
    }

    @Override
    public void traceScores(float[] scorePerRow) {
        traced = scorePerRow;
    }
}
