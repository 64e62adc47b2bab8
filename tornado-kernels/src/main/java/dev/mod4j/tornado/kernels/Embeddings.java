package dev.mod4j.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** The vision tower's input rows: class token and patch embeddings plus learned positions. */
public final class Embeddings {
    private Embeddings() {
    }

    /**
     * {@code out[0] = class + positions[0]}, {@code out[r] = patches[r − 1] + positions[r]} for rows r &lt; step[ROWS]
     * (the patches' rows come from the patch embedding's matrix product). One work-item per element.
     */
    public static void classAndPositions(KernelContext context, IntArray step, FloatArray patches,
                                         FloatArray classEmbedding, FloatArray positions, FloatArray out, int width) {
        int e = context.globalIdx;
        if (e < step.get(Step.ROWS) * width) {
            int r = e / width;
            int c = e - r * width;
            float token = r == 0 ? classEmbedding.get(c) : patches.get(e - width);
            out.set(e, token + positions.get(e));
        }
    }

    /**
     * {@code out[r] = patches[r] + positions[r]} for rows r &lt; step[ROWS]: patch rows without a class token
     * (LLaVA-HR's fast branch, whose positions are CLIP's patch positions resampled to its grid). One work-item per
     * element.
     */
    public static void patchesAndPositions(KernelContext context, IntArray step, FloatArray patches,
                                           FloatArray positions, FloatArray out, int width) {
        int e = context.globalIdx;
        if (e < step.get(Step.ROWS) * width) {
            out.set(e, patches.get(e) + positions.get(e));
        }
    }
}
