package dev.mod4j.runtime.backend;

import dev.mod4j.runtime.weights.ConvNextWeights;

import java.util.function.BiConsumer;

/**
 * A ConvNeXt trunk (LLaVA-HR's slow branch, Mini-Gemini's auxiliary tower) where a backend computes it: one image in,
 * the last stage's channels-last map out.
 */
public interface ConvNextTrunk {
    ConvNextWeights weights();

    /**
     * The last stage's map of an image [3, size, size], channels-last [(size/stride)² × width]. {@code stageObserver}
     * (may be null) receives each stage's output (index, map) as it is made.
     */
    float[] forward(float[] pixels, int size, BiConsumer<Integer, float[]> stageObserver);
}
