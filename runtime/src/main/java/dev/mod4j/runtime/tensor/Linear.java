package dev.mod4j.runtime.tensor;

import java.util.Objects;

/**
 * A HuggingFace {@code nn.Linear}: {@code y = x · Wᵀ + b}, the weight in the checkpoint's memory and dtype, the bias
 * (when the layer has one) widened to float. One record for decoder projections, CLIP layers and the projector.
 *
 * @param bias null when the layer has none ({@code attention_bias: false}, LLaMA's default)
 */
public record Linear(WeightMatrix weight, float[] bias) {

    public Linear {
        Objects.requireNonNull(weight, "weight");
        if (bias != null && bias.length != weight.outFeatures()) {
            throw new IllegalArgumentException(weight.name() + ": bias of " + bias.length + " values for "
                    + weight.outFeatures() + " output features");
        }
    }

    public int inFeatures() {
        return weight.inFeatures();
    }

    public int outFeatures() {
        return weight.outFeatures();
    }

    /** The same layer with the weight in another layout (a backend's own), bias shared. */
    public Linear withWeight(WeightMatrix newWeight) {
        return new Linear(newWeight, bias);
    }
}
