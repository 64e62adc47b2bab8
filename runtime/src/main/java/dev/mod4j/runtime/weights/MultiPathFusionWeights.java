package dev.mod4j.runtime.weights;

import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.runtime.tensor.Linear;

import java.util.ArrayList;
import java.util.List;

/**
 * LLaVA-HR's fusion of its two branches (Yaxin9Luo/Gamma-MOD@5de27f2,
 * gamma_mod/model/multimodal_encoder/multipath_encoder_wapper.py): the MR-adapters after the first three groups of
 * the fast branch's layers ({@code align_stages_latent.N}, {@code S2FStitchAlignModuleV2}; none when the vision
 * towers were frozen) and the final {@code align_stages.0} ({@code MultiPathAlignModule}).
 *
 * @param finalFast {@code align_stages.0.fast_proj}, Linear(fast, fast)
 * @param finalSlow {@code align_stages.0.slow_proj}, Linear(slow, fast)
 */
public record MultiPathFusionWeights(List<Adapter> adapters, Linear finalFast, Linear finalSlow) {

    /**
     * One MR-adapter. 1×1 convolutions are linears over the channels of each position.
     *
     * @param slowConv      {@code slow_conv} 1×1, slow → slow
     * @param slowProj      {@code slow_proj} 1×1, slow → fast
     * @param fastDepthwise {@code fast_conv} depthwise k×k, as [k·k, fast] (tap-major)
     * @param fastProj      {@code fast_proj} 1×1, fast → fast
     * @param gateIn        {@code gate.0}, Linear(2·fast, fast/2)
     * @param gateOut       {@code gate.2}, Linear(fast/2, 1)
     */
    public record Adapter(Linear slowConv, Linear slowProj, float[] fastDepthwise, float[] fastDepthwiseBias,
                          int kernel, Linear fastProj, Linear gateIn, Linear gateOut) {
    }

    public static MultiPathFusionWeights load(Checkpoint checkpoint, String prefix, int fast, int slow,
                                              boolean adapters) {
        PrefixedTensors t = new PrefixedTensors(checkpoint, prefix);
        List<Adapter> list = new ArrayList<>();
        for (int i = 0; adapters && i < 3; i++) {
            PrefixedTensors a = t.nested("align_stages_latent." + i + ".");
            long[] dw = a.shape("fast_conv.weight");
            int k = (int) dw[dw.length - 1];
            a.tensor("fast_conv.weight", fast, 1, k, k);
            list.add(new Adapter(a.linear("slow_conv", slow, slow), a.linear("slow_proj", fast, slow),
                    ConvNextWeights.tapMajor(a.tensor("fast_conv.weight").toFloatArray(), fast, k * k),
                    a.vector("fast_conv.bias", fast), k, a.linear("fast_proj", fast, fast),
                    a.linear("gate.0", fast / 2, 2L * fast), a.linear("gate.2", 1, fast / 2)));
        }
        return new MultiPathFusionWeights(List.copyOf(list), t.linear("align_stages.0.fast_proj", fast, fast),
                t.linear("align_stages.0.slow_proj", fast, slow));
    }
}
