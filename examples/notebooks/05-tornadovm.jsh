// Run the model on a GPU through TornadoVM (vision tower, projector and decoder) and check it against the CPU backend.
// Needs TornadoVM (https://github.com/beehive-lab/TornadoVM) and mod4j built with -Ptornadovm, run under TornadoVM's
// JVM with the tornado-kernels jar on the class path. Without them this notebook says so and does nothing else.
// Run: bin/notebook examples/notebooks/05-tornadovm.jsh
import dev.mod4j.api.DemoAssets;
import dev.mod4j.loaders.image.DecodedImage;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.runtime.backend.BackendProvider;
import dev.mod4j.runtime.backend.Backends;
import dev.mod4j.runtime.llava.MultimodalModel;
import dev.mod4j.runtime.model.LlamaModel;
import java.util.*;

// Backends are found at run time (java.util.ServiceLoader): tornado-kernels registers "tornadovm" when its jar is
// on the class path, and says why it cannot run when TornadoVM itself is missing.
String missing = null;
Optional<BackendProvider> tornado = Backends.providers().stream().filter(p -> p.name().equals("tornadovm")).findFirst();
if (tornado.isEmpty()) {
    missing = "the tornadovm backend is not on the class path (build with ./mvnw -Ptornadovm)";
} else if (tornado.get().unavailableReason() != null) {
    missing = tornado.get().unavailableReason();
}

double maxDiff(float[] a, float[] b) {
    double worst = 0;
    for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    return worst;
}

void runOnDevice() {
    var dir = DemoAssets.model();
    int[] prompt = {1, 450, 496, 173, 170}; // ids of the demo model's 608-token vocabulary
    try (var cpu = LlamaModel.load(ModelFiles.open(dir, null, LoadMode.MMAP), Backends.factory("cpu", null));
         var gpu = LlamaModel.load(ModelFiles.open(dir, null, LoadMode.MMAP), Backends.factory("tornadovm", null))) {
        System.out.println("device backend: " + gpu.backend().name());
        float[] a = cpu.newSession(16).prefill(prompt, null);
        float[] b = gpu.newSession(16).prefill(prompt, null);
        System.out.println(String.format("last-position logits, max |cpu - device| = %.3g", maxDiff(a, b)));
    }
}

// The vision tower and projector run through the backend too: on TornadoVM as task graphs (EncoderTaskGraphs).
void runVisionOnDevice() {
    var dir = DemoAssets.model();
    var picture = DemoAssets.picture();
    var image = new DecodedImage(picture.width(), picture.height(), picture.rgb());
    try (var cpu = MultimodalModel.load(dir, null, LoadMode.MMAP, Backends.factory("cpu", null));
         var gpu = MultimodalModel.load(dir, null, LoadMode.MMAP, Backends.factory("tornadovm", null))) {
        float[] pixels = cpu.preprocess(image);
        float[] a = cpu.visionFeatures(pixels, null);
        float[] b = gpu.visionFeatures(pixels, null);
        System.out.println(String.format("vision features, max |cpu - device| = %.3g", maxDiff(a, b)));
        int rows = cpu.rowsPerImage();
        System.out.println(String.format("projector output, max |cpu - device| = %.3g",
                maxDiff(cpu.project(a, rows), gpu.project(b, rows))));
    }
}

if (missing != null) {
    System.out.println("TornadoVM notebook skipped: " + missing + ".");
    System.out.println("To run it: install TornadoVM, build mod4j with ./mvnw -Ptornadovm package, and start jshell with");
    System.out.println("TornadoVM's JVM options and the tornado-kernels jar on the class path.");
} else {
    runOnDevice();
    runVisionOnDevice();
}
/exit
