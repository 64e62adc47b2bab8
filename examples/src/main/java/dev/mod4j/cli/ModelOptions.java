package dev.mod4j.cli;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.config.HubCache;
import dev.mod4j.loaders.image.ImageAspect;
import dev.mod4j.loaders.image.ImageDecoder;
import dev.mod4j.loaders.npy.NpyArray;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.loaders.tokenizer.Tokenizer;
import dev.mod4j.runtime.cpu.CpuBackend;
import dev.mod4j.runtime.cpu.Parallel;
import dev.mod4j.runtime.backend.Backend;
import dev.mod4j.runtime.backend.ModelParts;
import dev.mod4j.loaders.safetensors.DType;
import dev.mod4j.runtime.generate.PromptFormat;
import dev.mod4j.runtime.backend.Backends;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.llava.PreprocessedImage;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Options shared by the commands that run a model: which model, how to load it, and the prompt. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "Model directory (config.json + *.safetensors), or a hub id (org/name) in the local"
                    + " HuggingFace cache ($HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub).")
    Path model;

    @Option(names = "--vision-tower", paramLabel = "DIR",
            description = "Original LLaVA layout: the CLIP checkpoint directory (default: from mm_vision_tower).")
    Path visionTower;

    @Option(names = "--load", paramLabel = "MODE", defaultValue = "mmap",
            description = "mmap (instant start) or copy (read weights into memory once; faster on some machines). Default: ${DEFAULT-VALUE}.")
    String load;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = Backends.DEFAULT,
            completionCandidates = BackendNames.class,
            description = "Where the model runs: ${COMPLETION-CANDIDATES} (the backends on the class path; tornadovm"
                    + " needs TornadoVM, see README). Default: ${DEFAULT-VALUE}.")
    String backend;

    @Option(names = "--weights", paramLabel = "TYPE", description = WEIGHTS_DESCRIPTION)
    String weights;

    /** {@code --weights}, as generate, serve and eval describe it. */
    static final String WEIGHTS_DESCRIPTION = "q8_0: quantize the decoder's projections and LM head at load to"
            + " llama.cpp's Q8_0 (32 int8 weights and an f16 scale a block; cpu backend; the checkpoint is then mapped"
            + " whatever --load says, and its pages given back as they are quantized). Default: the checkpoint's dtype.";

    @Option(names = "--device", paramLabel = "ID", description = "The backend's device (see mod4j devices, e.g. TornadoVM's"
            + " B:D); default: the backend's own.")
    String device;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: all available processors).")
    Integer threads;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "The user's prompt (put into --template). Images go"
            + " before it, unless it holds <image> markers: then one per --image, where written.")
    String prompt;

    @Option(names = "--template", paramLabel = "NAME",
            description = "chat (the checkpoint's own chat template; also: hf), vicuna_v1 (LLaVA's conv_vicuna_v1),"
                    + " mistral_instruct (conv_mistral_instruct) or plain. Default: chat when the checkpoint has a chat"
                    + " template, else vicuna_v1 for LLaVA models (mistral_instruct for llava_mistral), else plain.")
    String template;

    @Option(names = "--input-ids", paramLabel = "IDS", split = ",",
            description = "Token ids instead of --prompt (comma-separated; image placeholder ids mark images).")
    List<String> inputIds;

    @Option(names = "--image", paramLabel = "FILE",
            description = "A PNG or JPEG image, preprocessed as LLaVA-1.5 does (repeatable; one <image> per image).")
    List<Path> imageFiles = new ArrayList<>();

    @Option(names = "--image-aspect", paramLabel = "pad|crop",
            description = "How a non-square --image becomes square: pad (to a square of the mean colour, as LLaVA-1.5)"
                    + " or crop (CLIP's resize and centre crop). Default: as the checkpoint's own software does"
                    + " (llava-hf: its preprocessor_config.json; original LLaVA: image_aspect_ratio).")
    String imageAspect;

    @Option(names = "--pixel-values", paramLabel = "FILE.npy",
            description = "An already preprocessed image, float32 [1,3,H,W] or [3,H,W] (for parity checks with PyTorch).")
    List<Path> pixelValues = new ArrayList<>();

    MultimodalModel open() {
        applyThreads(threads);
        ImageAspect aspect = imageAspect == null ? null : ImageAspect.parse(imageAspect, "image aspect");
        return MultimodalModel.load(modelDirectory(), visionTower, loadMode(load, weights),
                backendFactory(weights, backend, device), aspect);
    }

    /**
     * {@code --load}, given {@code --weights}: quantized weights live in memory of their own, so the checkpoint is
     * mapped (not copied, whatever --load says) and each matrix's pages are given back once it is quantized.
     */
    static LoadMode loadMode(String load, String weights) {
        LoadMode asked = loadMode(load);
        return weights != null ? LoadMode.MMAP : asked;
    }

    /** {@code --weights}: the dtype to quantize to, or null for none (a value other than q8_0 is refused). */
    static DType weights(String weights) {
        if (weights == null) {
            return null;
        }
        if (!weights.equalsIgnoreCase("q8_0")) {
            throw new InvalidInputException("--weights", "expected q8_0, got '" + weights + "'");
        }
        return DType.Q8_0;
    }

    /** {@code --backend} and {@code --device}, or the CPU backend quantizing as {@code --weights} says. */
    static Function<ModelParts, Backend> backendFactory(String weights, String backend, String device) {
        if (weights(weights) == null) {
            return Backends.factory(backend, device);
        }
        if (!backend.equals("cpu") || device != null) {
            throw new InvalidInputException("--weights", "q8_0 runs on the cpu backend only (got --backend " + backend
                    + ")");
        }
        return CpuBackend.quantizing(DType.Q8_0);
    }

    /** {@code --model}: the directory, or the cached snapshot of a hub id. */
    Path modelDirectory() {
        return HubCache.fromEnvironment().resolveModel(model);
    }

    /** {@code --threads N}: the size of the shared CPU pool (null: leave it). */
    static void applyThreads(Integer threads) {
        if (threads != null) {
            checkThreads(threads);
            Parallel.setCommonThreads(threads);
        }
    }

    /**
     * A thread count between 1 and 4 × the available processors: more threads than that only contend (and
     * {@code --threads 10000} would start ten thousand spinning workers).
     */
    static int checkThreads(int threads) {
        int max = 4 * Runtime.getRuntime().availableProcessors();
        if (threads < 1 || threads > max) {
            throw new InvalidInputException("--threads", "must be between 1 and " + max + " (4 × the "
                    + Runtime.getRuntime().availableProcessors() + " available processors), got " + threads);
        }
        return threads;
    }

    /** {@code --load mmap|copy}. */
    static LoadMode loadMode(String load) {
        return switch (load) {
            case "mmap" -> LoadMode.MMAP;
            case "copy" -> LoadMode.COPY;
            default -> throw new InvalidInputException("--load", "expected mmap or copy, got '" + load + "'");
        };
    }

    /**
     * The preprocessed images given on the command line (--image files first): one crop each, or an anyres
     * (LLaVA-NeXT) model's crops; {@code --pixel-values} give one crop each.
     */
    List<PreprocessedImage> images(MultimodalModel m) {
        List<PreprocessedImage> out = new ArrayList<>();
        for (Path p : imageFiles) {
            out.add(m.preprocessImage(ImageDecoder.decode(p)));
        }
        for (Path p : pixelValues) {
            out.add(PreprocessedImage.single(pixelValues(p, m)));
        }
        return out;
    }

    /**
     * A .npy of preprocessed pixel values, [1,3,S,S] or [3,S,S] with S the tower's image size (as the library's
     * ImageInput checks): an array whose element count matches but whose sides do not is refused, not reinterpreted.
     */
    static float[] pixelValues(Path file, MultimodalModel m) {
        NpyArray a = NpyArray.read(file);
        if (m.visionConfig() == null) {
            m.rowsPerImage(); // without a vision tower: an error saying why (text-only, or tower not found)
        }
        long[] s = a.shape();
        int size = m.visionConfig().imageSize();
        boolean ok = (s.length == 4 && s[0] == 1 && s[1] == 3 || s.length == 3 && s[0] == 3)
                && s[s.length - 1] == size && s[s.length - 2] == size;
        if (!ok) {
            throw new InvalidInputException(file.toString(), "expected pixel values of shape [1,3," + size + ","
                    + size + "] or [3," + size + "," + size + "] for this vision tower, found "
                    + java.util.Arrays.toString(s));
        }
        return a.data();
    }

    /** The input ids: --input-ids as given, or --prompt through the template and the model's tokenizer. */
    int[] inputIds(MultimodalModel m, int images) {
        if (inputIds != null && prompt != null) {
            throw new InvalidInputException("--input-ids", "give either --input-ids or --prompt, not both");
        }
        if (inputIds != null) {
            int[] ids = new int[inputIds.size()];
            for (int i = 0; i < ids.length; i++) {
                try {
                    ids[i] = Integer.parseInt(inputIds.get(i).trim());
                } catch (NumberFormatException e) {
                    throw new InvalidInputException("--input-ids", "'" + inputIds.get(i) + "' (item " + (i + 1)
                            + ") is not an integer token id");
                }
            }
            if (ids.length == 0) {
                throw new InvalidInputException("--input-ids", "no ids given");
            }
            return ids;
        }
        if (prompt == null) {
            throw new InvalidInputException("--prompt", "give a --prompt (or --input-ids)");
        }
        PromptFormat format = PromptFormat.select(template, model, m.hasVision());
        int placeholder = m.hasVision() ? m.imagePlaceholderId() : Integer.MIN_VALUE;
        return format.encode(tokenizer(), prompt, images, placeholder);
    }

    /** The model's tokenizer, or null when the directory has none (then ids are printed instead of text). */
    Tokenizer tokenizerIfPresent() {
        return Tokenizer.isPresentIn(modelDirectory()) ? Tokenizer.load(modelDirectory()) : null;
    }

    Tokenizer tokenizer() {
        if (!Tokenizer.isPresentIn(modelDirectory())) {
            throw new InvalidInputException(modelDirectory().toString(),
                    "has no tokenizer.json (nor tokenizer.model); give token ids with --input-ids");
        }
        return Tokenizer.load(modelDirectory());
    }
}
