package dev.mod4j.loaders.config;

import java.util.List;

/**
 * The activation names a config may give ({@code hidden_act}, {@code projector_hidden_act}): the entries of
 * transformers' {@code ACT2FN} ({@code src/transformers/activations.py}) that have no weights of their own. Every
 * backend implements these or refuses the model by name; any other name is refused when the config is read.
 */
public final class Activations {
    /** Supported names, in ACT2FN's order. {@code swish} is {@code silu}; {@code gelu_python} is {@code gelu}. */
    public static final List<String> SUPPORTED = List.of("gelu", "gelu_10", "gelu_fast", "gelu_new", "gelu_python",
            "gelu_pytorch_tanh", "gelu_accurate", "laplace", "leaky_relu", "linear", "mish", "quick_gelu", "relu",
            "relu2", "relu6", "sigmoid", "silu", "swish", "tanh");

    private Activations() {
    }

    /** True for the SiLU activation under either of its names. */
    public static boolean isSilu(String name) {
        return name.equals("silu") || name.equals("swish");
    }

    /** The activation {@code field} names (or {@code defaultName}), refused by name unless supported. */
    static String require(ConfigObject c, String field, String defaultName) {
        String name = c.string(field, defaultName);
        if (!SUPPORTED.contains(name)) {
            throw new ConfigException(c.where(field), "activation '" + name + "' is not supported (supported: "
                    + String.join(", ", SUPPORTED) + ")");
        }
        return name;
    }
}
