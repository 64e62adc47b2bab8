package dev.mod4j.loaders.layout;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.loaders.config.ModelConfig;
import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.loaders.safetensors.CheckpointFormatException;

/**
 * The config of a CLIP tower embedded in an original-layout checkpoint (p-MoD's) whose own config.json is not on
 * disk: sizes from the tensor shapes, the rest (head size, activation, norm epsilon) from the known config of the
 * tower {@code mm_vision_tower} names.
 */
final class EmbeddedTower {
    private EmbeddedTower() {
    }

    static ModelConfig withDerivedConfig(ModelConfig config, Checkpoint checkpoint, CheckpointLayout layout) {
        String name = config.multimodal().visionTower();
        ClipVisionConfig known = ClipVisionConfig.known(name);
        if (known == null) {
            throw new InvalidInputException("vision tower", "mm_vision_tower '" + name + "' is embedded in the"
                    + " checkpoint, but its config.json was not found (looked in " + config.visionTowerLookup()
                    .searchedList() + ") and mod4j knows no config of that name (known: openai/clip-vit-large-patch14"
                    + "-336, openai/clip-vit-large-patch14); give the tower's directory");
        }
        long[] patch = shape(checkpoint, layout, "embeddings.patch_embedding.weight");
        long[] positions = shape(checkpoint, layout, "embeddings.position_embedding.weight");
        long[] fc1 = shape(checkpoint, layout, "encoder.layers.0.mlp.fc1.weight");
        int hidden = (int) patch[0];
        int patchSize = (int) patch[2];
        int side = (int) Math.round(Math.sqrt(positions[0] - 1));
        int layers = 0;
        while (checkpoint.contains(layout.visionTensor("encoder.layers." + layers + ".mlp.fc1.weight"))) {
            layers++;
        }
        int headDim = known.hiddenSize() / known.numAttentionHeads();
        if (patch.length != 4 || side * side != positions[0] - 1 || hidden % headDim != 0) {
            throw new CheckpointFormatException(checkpoint.directory().toString(), "the embedded vision tower's"
                    + " shapes (patch embedding " + java.util.Arrays.toString(patch) + ", " + positions[0]
                    + " positions) are not a CLIP tower with " + headDim + "-wide heads");
        }
        ClipVisionConfig derived = new ClipVisionConfig(hidden, (int) fc1[0], layers, hidden / headDim,
                (int) patch[1], side * patchSize, patchSize, known.hiddenAct(), known.layerNormEps(),
                known.projectionDim());
        return config.withVision(derived, "embedded in the checkpoint; config from the tensor shapes and the known"
                + " config of " + name + (derived.equals(known) ? ""
                : " (sizes differ from it: taken from the shapes)"));
    }

    private static long[] shape(Checkpoint checkpoint, CheckpointLayout layout, String suffix) {
        String tensor = layout.visionTensor(suffix);
        if (!checkpoint.contains(tensor)) {
            throw new CheckpointFormatException(checkpoint.directory().toString(), "missing tensor '" + tensor
                    + "' of the embedded vision tower");
        }
        return checkpoint.info(tensor).shape();
    }
}
