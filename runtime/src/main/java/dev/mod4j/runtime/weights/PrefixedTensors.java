package dev.mod4j.runtime.weights;

import dev.mod4j.loaders.safetensors.Checkpoint;
import dev.mod4j.loaders.safetensors.CheckpointFormatException;
import dev.mod4j.loaders.safetensors.Tensor;
import dev.mod4j.runtime.tensor.Linear;

import java.util.Arrays;

/**
 * The tensors of one module of a checkpoint (those under {@code prefix}), read with their shapes checked, so a
 * wrong or truncated checkpoint fails at load naming the tensor. Convolution kernels of 1×1 read as linears.
 */
record PrefixedTensors(Checkpoint checkpoint, String prefix) {

    boolean contains(String suffix) {
        return checkpoint.contains(prefix + suffix);
    }

    Tensor tensor(String suffix, long... shape) {
        String name = prefix + suffix;
        if (!checkpoint.contains(name)) {
            throw new CheckpointFormatException(checkpoint.directory().toString(), "missing tensor '" + name + "'"
                    + (shape.length == 0 ? "" : " (expected shape " + Arrays.toString(shape) + ")"));
        }
        Tensor t = checkpoint.tensor(name);
        return shape.length == 0 ? t : t.requireShape(shape);
    }

    long[] shape(String suffix) {
        return tensor(suffix).shape();
    }

    float[] vector(String suffix, long length) {
        return tensor(suffix, length).toFloatArray();
    }

    /** {@code suffix.weight} [out, in] (or a 1×1 convolution's [out, in, 1, 1]) and {@code suffix.bias} [out]. */
    Linear linear(String suffix, long out, long in) {
        Tensor w = tensor(suffix + ".weight");
        long[] s = w.shape();
        boolean ok = s.length == 2 && s[0] == out && s[1] == in
                || s.length == 4 && s[0] == out && s[1] == in && s[2] == 1 && s[3] == 1;
        if (!ok) {
            throw new CheckpointFormatException(w.file() + ": " + w.name(), "expected shape [" + out + ", " + in
                    + "] (or [" + out + ", " + in + ", 1, 1]), found " + Arrays.toString(s));
        }
        return new Linear(LlamaWeights.flattened(w), vector(suffix + ".bias", out));
    }

    PrefixedTensors nested(String suffix) {
        return new PrefixedTensors(checkpoint, prefix + suffix);
    }
}
