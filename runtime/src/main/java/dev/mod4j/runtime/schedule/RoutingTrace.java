package dev.mod4j.runtime.schedule;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Per-request record of every layer's decision, in execution order (prefill layers first, then each decode step). */
public final class RoutingTrace {
    private final List<LayerRecord> records;
    private int[] promptByRole;
    private int[] towerPatchOfImageRow;

    public RoutingTrace() {
        this(0);
    }

    /** A trace with room for {@code expectedRecords} records reserved up front (layers × forward passes). */
    public RoutingTrace(int expectedRecords) {
        this.records = new ArrayList<>(expectedRecords);
    }

    /**
     * The prompt as it entered the decoder, before any reduction ahead of layer 0 (DivPrune): token count per
     * {@link dev.mod4j.runtime.prompt.TokenRole} ordinal. The dense reference of the accounting is costed on it.
     */
    public void promptEntered(int[] byRole) {
        promptByRole = byRole.clone();
    }

    /** What {@link #promptEntered} recorded in this request's prefill, or null. */
    public int[] promptByRole() {
        return promptByRole == null ? null : promptByRole.clone();
    }

    /**
     * For a prompt whose images were reduced inside the vision tower (VisionZip), the tower patch each image row
     * stands for (-1: the class token), in prompt order; null (the default) when the image rows are the patches.
     */
    public void imagesReducedInTower(int[] patchOfImageRow) {
        towerPatchOfImageRow = patchOfImageRow == null ? null : patchOfImageRow.clone();
    }

    /** What {@link #imagesReducedInTower} recorded, or null. */
    public int[] towerPatchOfImageRow() {
        return towerPatchOfImageRow == null ? null : towerPatchOfImageRow.clone();
    }

    public void add(LayerRecord record) {
        records.add(record);
    }

    /** Replaces the last record (a schedule adding scores it computed after the layer ran). */
    public void replaceLast(LayerRecord record) {
        records.set(records.size() - 1, record);
    }

    public List<LayerRecord> records() {
        return Collections.unmodifiableList(records);
    }

    public List<LayerRecord> prefill() {
        return records.stream().filter(r -> r.phase() == Phase.PREFILL).toList();
    }

    /** Total multiply-adds of the decoder layers over the whole request, the schedule's attention ranking included. */
    public long totalMacs() {
        return records.stream().mapToLong(LayerRecord::totalMacs).sum();
    }

    /** The prefill's multiply-adds, the schedule's attention ranking included ({@link LayerRecord#totalMacs}). */
    public long prefillMacs() {
        return prefill().stream().mapToLong(LayerRecord::totalMacs).sum();
    }

    /** An independent copy (a session's trace is reset by its next request). */
    public RoutingTrace copy() {
        RoutingTrace c = new RoutingTrace();
        c.records.addAll(records);
        c.promptByRole = promptByRole;
        c.towerPatchOfImageRow = towerPatchOfImageRow;
        return c;
    }

    public void clear() {
        records.clear();
        promptByRole = null;
        towerPatchOfImageRow = null;
    }
}
