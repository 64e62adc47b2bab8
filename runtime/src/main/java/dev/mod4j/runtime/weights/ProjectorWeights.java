package dev.mod4j.runtime.weights;

import dev.mod4j.loaders.config.MultimodalConfig;
import dev.mod4j.loaders.layout.CheckpointLayout;
import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.runtime.tensor.Linear;

import java.util.ArrayList;
import java.util.List;

/**
 * The multimodal projector's weights: {@code linear} or {@code mlpNx_gelu} (Linear → activation → Linear ...),
 * mapping vision features to the decoder's hidden size.
 *
 * @param activation applied between the linears (the config's {@code projector_hidden_act})
 */
public record ProjectorWeights(List<Linear> linears, String activation) {

    public static ProjectorWeights load(Checkpoint checkpoint, CheckpointLayout layout, MultimodalConfig config) {
        List<Linear> linears = new ArrayList<>();
        for (String name : layout.projectorLinears()) {
            linears.add(new Linear(LlamaWeights.matrix(checkpoint.tensor(name + ".weight")),
                    checkpoint.contains(name + ".bias") ? checkpoint.tensor(name + ".bias").toFloatArray() : null));
        }
        return new ProjectorWeights(List.copyOf(linears), config.projectorHiddenAct());
    }

    public int inputSize() {
        return linears.getFirst().inFeatures();
    }

    public int outputSize() {
        return linears.getLast().outFeatures();
    }
}
