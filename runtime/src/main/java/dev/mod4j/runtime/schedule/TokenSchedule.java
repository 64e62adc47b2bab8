package dev.mod4j.runtime.schedule;

/**
 * A method of skipping or dropping tokens, as a per-layer plan of which rows a layer processes. The model walks the
 * layers and asks; no method logic lives in the model. A schedule instance serves one sequence (it may remember
 * what it decided in prefill, e.g. how many tokens it dropped where); make a fresh one per request with
 * {@link Schedules#create}.
 */
public interface TokenSchedule {
    /** The spec string that recreates this schedule, e.g. {@code pdrop:layers=8,16,24;ratios=0.5,0.25,0.125}. */
    String spec();

    /**
     * Called once per prefill before layer 0, on the prompt as it enters the decoder (text embeddings and projected
     * image features, {@link ScheduleContext#hidden()}): the rows that enter layer 0 (ascending indices), or null to
     * keep every row. Methods that reduce the image before the decoder (DivPrune) act here; the rows not returned
     * are never computed nor cached. The default does nothing and costs nothing.
     */
    default int[] beforeDecoder(ScheduleContext context) {
        return null;
    }

    /**
     * A reduction of each image inside the vision tower, before the projector (VisionZip), or null (the default).
     * When not null, the session rebuilds the prompt with every image reduced before its prefill
     * ({@link dev.mod4j.runtime.prompt.PromptRows#imageReducer()}).
     */
    default dev.mod4j.runtime.vision.ImageReduction imageReduction() {
        return null;
    }

    /** The plan for layer {@code layer}, called before it runs. */
    LayerPlan plan(int layer, ScheduleContext context);

    /**
     * Called after layer {@code layer} ran: the current rows that stay in the residual stream for all later layers
     * (ascending indices), or null to keep every row. FastV, PyramidDrop and DART drop rows permanently.
     */
    default int[] survivors(int layer, ScheduleContext context) {
        return null;
    }
}
