package dev.mod4j.runtime.weights;

import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.runtime.tensor.Linear;

/**
 * Mini-Gemini's patch info mining (Yaxin9Luo/Gamma-MOD@5de27f2, gamma_mod/MGM/mgm/model/mgm_arch.py,
 * {@code initialize_uni_modules}): three {@code nn.Sequential(LayerNorm, Linear)} projections, the query from a
 * low-resolution CLIP row, key and value from a high-resolution row of the auxiliary tower's map.
 *
 * @param query {@code vlm_uni_query_projector}: LayerNorm(clip), Linear(clip, clip)
 * @param key   {@code vlm_uni_aux_projector}: LayerNorm(aux), Linear(aux, clip)
 * @param value {@code vlm_uni_val_projector}: LayerNorm(aux), Linear(aux, clip)
 */
public record PatchInfoMiningWeights(NormedLinear query, NormedLinear key, NormedLinear value) {

    /** {@code nn.Sequential(nn.LayerNorm(in), nn.Linear(in, out))}: LayerNorm eps is PyTorch's default, 1e-5. */
    public record NormedLinear(float[] normWeight, float[] normBias, Linear linear) {
        public static final double LAYER_NORM_EPS = 1e-5;

        public int inFeatures() {
            return normWeight.length;
        }
    }

    /** Reads them under {@code prefix} ({@code model.vlm_uni_}), {@code clip} and {@code aux} being the widths. */
    public static PatchInfoMiningWeights load(Checkpoint checkpoint, String prefix, int clip, int aux) {
        PrefixedTensors t = new PrefixedTensors(checkpoint, prefix);
        return new PatchInfoMiningWeights(normedLinear(t.nested("query_projector."), clip, clip),
                normedLinear(t.nested("aux_projector."), aux, clip), normedLinear(t.nested("val_projector."), aux, clip));
    }

    private static NormedLinear normedLinear(PrefixedTensors t, int in, int out) {
        return new NormedLinear(t.vector("0.weight", in), t.vector("0.bias", in), t.linear("1", out, in));
    }
}
