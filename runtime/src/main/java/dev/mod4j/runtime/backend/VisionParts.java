package dev.mod4j.runtime.backend;

import dev.mod4j.loaders.config.ClipVisionConfig;
import dev.mod4j.runtime.weights.ClipVisionWeights;
import dev.mod4j.runtime.weights.ProjectorWeights;

/** A LLaVA model's vision side as the checkpoint holds it: the CLIP tower and the multimodal projector. */
public record VisionParts(ClipVisionConfig config, ClipVisionWeights tower, ProjectorWeights projector) {
}
