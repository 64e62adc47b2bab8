package dev.mod4j.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Element-wise activations over the first step[ROWS] rows of a batch, in place (the decoder's SwiGLU gate, the
 * vision tower's and projector's activations). One work-item per element.
 */
public final class Activations {
    private static final float SQRT_HALF = 0.70710678118654752f;
    private static final float SQRT_TWO_OVER_PI = 0.79788456080286536f;
    private static final float SQRT_PI_INV = 0.56418958354775628695f;

    private Activations() {
    }

    /** SwiGLU's gate, {@code gate[i] = silu(gate[i]) * up[i]} with silu(x) = x·sigmoid(x), over rows × width. */
    public static void siluMultiply(KernelContext context, IntArray step, FloatArray gate, FloatArray up, int width) {
        int i = context.globalIdx;
        if (i < step.get(Step.ROWS) * width) {
            float g = gate.get(i);
            gate.set(i, g / (1f + TornadoMath.exp(-g)) * up.get(i));
        }
    }

    /** CLIP's quick_gelu, {@code x · sigmoid(1.702 x)}, written {@code x / (1 + e^(−1.702 x))} as the CPU backend. */
    public static void quickGelu(KernelContext context, IntArray step, FloatArray x, int width) {
        int i = context.globalIdx;
        if (i < step.get(Step.ROWS) * width) {
            float v = x.get(i);
            x.set(i, v / (1f + TornadoMath.exp(v * -1.702f)));
        }
    }

    /** Exact (erf-based) GELU, {@code 0.5 x (1 + erf(x / √2))}, as torch.nn.GELU() without approximation. */
    public static void gelu(KernelContext context, IntArray step, FloatArray x, int width) {
        int i = context.globalIdx;
        if (i < step.get(Step.ROWS) * width) {
            float v = x.get(i);
            x.set(i, 0.5f * v * (1f + errorFunction(v * SQRT_HALF)));
        }
    }

    /** GELU's tanh approximation ({@code gelu_pytorch_tanh}, {@code gelu_new}). */
    public static void geluTanh(KernelContext context, IntArray step, FloatArray x, int width) {
        int i = context.globalIdx;
        if (i < step.get(Step.ROWS) * width) {
            float v = x.get(i);
            x.set(i, 0.5f * v * (1f + TornadoMath.tanh(SQRT_TWO_OVER_PI * (v + 0.044715f * v * v * v))));
        }
    }

    /** SiLU, {@code x / (1 + e^(−x))}. */
    public static void silu(KernelContext context, IntArray step, FloatArray x, int width) {
        int i = context.globalIdx;
        if (i < step.get(Step.ROWS) * width) {
            float v = x.get(i);
            x.set(i, v / (1f + TornadoMath.exp(-v)));
        }
    }

    /**
     * erf(x), which OpenCL has but TornadoVM's math does not expose: the CPU backend's W. J. Cody rational
     * approximations (Math. Comp. 1969), here evaluated in float (relative error about 1e-7, float resolution).
     * (Not named {@code erf}: OpenCL C has a built-in of that name.)
     */
    private static float errorFunction(float x) {
        float y = TornadoMath.abs(x);
        float result;
        if (y <= 0.46875f) {
            float z = y * y;
            float num = 1.85777706184603153e-1f * z;
            float den = z;
            num = (num + 3.16112374387056560e00f) * z;
            den = (den + 2.36012909523441209e01f) * z;
            num = (num + 1.13864154151050156e02f) * z;
            den = (den + 2.44024637934444173e02f) * z;
            num = (num + 3.77485237685302021e02f) * z;
            den = (den + 1.28261652607737228e03f) * z;
            result = y * (num + 3.20937758913846947e03f) / (den + 2.84423683343917062e03f);
        } else if (y >= 6f) {
            result = 1f;
        } else {
            float erfc;
            if (y <= 4f) {
                float num = 2.15311535474403846e-8f * y;
                float den = y;
                num = (num + 5.64188496988670089e-1f) * y;
                den = (den + 1.57449261107098347e01f) * y;
                num = (num + 8.88314979438837594e00f) * y;
                den = (den + 1.17693950891312499e02f) * y;
                num = (num + 6.61191906371416295e01f) * y;
                den = (den + 5.37181101862009858e02f) * y;
                num = (num + 2.98635138197400131e02f) * y;
                den = (den + 1.62138957456669019e03f) * y;
                num = (num + 8.81952221241769090e02f) * y;
                den = (den + 3.29079923573345963e03f) * y;
                num = (num + 1.71204761263407058e03f) * y;
                den = (den + 4.36261909014324716e03f) * y;
                num = (num + 2.05107837782607147e03f) * y;
                den = (den + 3.43936767414372164e03f) * y;
                erfc = (num + 1.23033935479799725e03f) / (den + 1.23033935480374942e03f);
            } else {
                float z = 1f / (y * y);
                float num = 1.63153871373020978e-2f * z;
                float den = z;
                num = (num + 3.05326634961232344e-1f) * z;
                den = (den + 2.56852019228982242e00f) * z;
                num = (num + 3.60344899949804439e-1f) * z;
                den = (den + 1.87295284992346725e00f) * z;
                num = (num + 1.25781726111229246e-1f) * z;
                den = (den + 5.27905102951428412e-1f) * z;
                num = (num + 1.60837851487422766e-2f) * z;
                den = (den + 6.05183413124413191e-2f) * z;
                erfc = z * (num + 6.58749161529837803e-4f) / (den + 2.33520497626869185e-3f);
                erfc = (SQRT_PI_INV - erfc) / y;
            }
            // erfc(y) = exp(−y²) · R(y), with exp(−y²) split to keep precision (Cody's trick).
            float ysq = TornadoMath.floor(y * 16f) / 16f;
            float del = (y - ysq) * (y + ysq);
            erfc = TornadoMath.exp(-ysq * ysq) * TornadoMath.exp(-del) * erfc;
            result = 1f - erfc;
        }
        return x < 0f ? -result : result;
    }
}
