package dev.mod4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.loaders.safetensors.SafetensorsFile;
import dev.mod4j.loaders.safetensors.SafetensorsWriter;
import dev.mod4j.loaders.safetensors.SafetensorsWriter.TensorData;
import dev.mod4j.loaders.safetensors.Tensor;
import dev.mod4j.loaders.synthetic.ModelCache;
import dev.mod4j.runtime.accounting.ProgressiveRatioDecay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The demo model's p-MoD twin: the same weights, laid out as a p-MoD checkpoint (each MoD layer's tensors nested
 * under {@code decoder_layer}, a random {@code Linear(d, 1)} router beside it, p-MoD's config fields) instead of
 * γ-MoD's. γ-MoD and p-MoD name their routers differently, so one checkpoint cannot carry both; with the weights
 * shared, the twin's dense run equals the demo model's and p-MoD's run compares with the others.
 */
final class PModDemoModel {
    private static final Pattern LAYER_TENSOR = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    private static final float ROUTER_SCALE = 0.08f;

    private PModDemoModel() {
    }

    /** The twin of the demo model in {@code demoDirectory}, written beside it first if it is not there yet. */
    static Path ensure(Path demoDirectory) {
        return ModelCache.ensure(demoDirectory.getParent(), demoDirectory.getFileName() + "-pmod", staging -> {
            try {
                write(demoDirectory, staging);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the p-MoD demo model beside " + demoDirectory, e);
            }
        });
    }

    private static void write(Path demo, Path out) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode config = (ObjectNode) json.readTree(demo.resolve("config.json").toFile());
        int layers = config.get("num_hidden_layers").asInt();
        int hidden = config.get("hidden_size").asInt();
        // The released p-MoD configuration (docs/methods.md §4.8); its decay curve decides which layers are MoD layers.
        int[] modLayers = ProgressiveRatioDecay.released(layers).modLayers();
        config.remove("mod");
        config.putArray("architectures").add("PmodLlavaLlamaForCausalLM");
        config.put("model_type", "pmod_llava_llama");
        config.put("mod_target_layers", ProgressiveRatioDecay.RELEASED_TARGET_LAYERS);
        config.put("mod_target_token_type", "vision_all");
        config.put("mod_router_factor", ProgressiveRatioDecay.RELEASED_ROUTER_FACTOR);
        config.put("mod_weight_norm", "tanh_0.2_1");
        config.put("mod_bias_enabled", true);
        var indices = config.putArray("mod_target_layer_indices");
        for (int l : modLayers) {
            indices.add(l);
        }
        json.writeValue(out.resolve("config.json").toFile(), config);

        try (SafetensorsFile weights = SafetensorsFile.open(demo.resolve("model.safetensors"))) {
            SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
            List<Integer> mod = new ArrayList<>();
            for (int l : modLayers) {
                mod.add(l);
            }
            for (String name : weights.tensorNames().stream().sorted().toList()) {
                Matcher m = LAYER_TENSOR.matcher(name);
                if (m.matches() && m.group(2).equals("router.weight")) {
                    continue; // γ-MoD's shared router
                }
                Tensor t = weights.tensor(name);
                String newName = m.matches() && mod.contains(Integer.parseInt(m.group(1)))
                        ? "model.layers." + m.group(1) + ".decoder_layer." + m.group(2) : name;
                writer.add(new TensorData(newName, t.dtype(), t.shape(), t.data()));
            }
            SplittableRandom random = new SplittableRandom(2025);
            for (int l : modLayers) {
                writer.add(TensorData.ofFloats("model.layers." + l + ".router.router.weight", DType.F32,
                        new long[]{1, hidden}, gaussian(random, hidden)));
                writer.add(TensorData.ofFloats("model.layers." + l + ".router.router.bias", DType.F32, new long[]{1},
                        gaussian(random, 1)));
            }
            writer.write(out.resolve("model.safetensors"));
        }
        copyTree(demo.resolve("clip-vision-tower"), out.resolve("clip-vision-tower"));
        for (String file : new String[]{"tokenizer.json", "tokenizer_config.json"}) {
            if (Files.exists(demo.resolve(file))) {
                Files.copy(demo.resolve(file), out.resolve(file));
            }
        }
    }

    private static float[] gaussian(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            // Box–Muller: one normal sample from two uniforms.
            double u = 1 - random.nextDouble();
            v[i] = (float) (ROUTER_SCALE * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble()));
        }
        return v;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        if (!Files.isDirectory(from)) {
            return;
        }
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
