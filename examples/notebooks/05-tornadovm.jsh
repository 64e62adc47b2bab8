// Run the decoder on a GPU through TornadoVM and check it against the CPU backend.
// Needs TornadoVM (https://github.com/beehive-lab/TornadoVM) and mod4j built with -Ptornadovm, run under TornadoVM's
// JVM with the tornado-kernels jar on the class path. Without them this notebook says so and does nothing else.
// Run: bin/notebook examples/notebooks/05-tornadovm.jsh
import dev.mod4j.api.DemoAssets;
import dev.mod4j.loaders.layout.ModelFiles;
import dev.mod4j.loaders.safetensors.LoadMode;
import dev.mod4j.runtime.backend.Backend;
import dev.mod4j.runtime.cpu.CpuBackend;
import dev.mod4j.runtime.model.LlamaModel;
import java.util.*;
import java.util.function.Function;

// mod4j's TornadoVM backend: a class with a static of(LlamaModel.Parts) factory, as CpuBackend has.
String backendClassName = "dev.mod4j.tornado.TornadoBackend";
String missing = null;
try {
    Class.forName("uk.ac.manchester.tornado.api.TaskGraph");
} catch (ClassNotFoundException e) {
    missing = "the TornadoVM API (tornado-api) is not on the class path";
}
if (missing == null) {
    try {
        Class.forName(backendClassName);
    } catch (ClassNotFoundException e) {
        missing = backendClassName + " is not on the class path (build with ./mvnw -Ptornadovm)";
    }
}

Function<LlamaModel.Parts, Backend> tornadoFactory(String className) {
    return parts -> {
        try {
            return (Backend) Class.forName(className).getMethod("of", LlamaModel.Parts.class).invoke(null, parts);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create the TornadoVM backend", e);
        }
    };
}

void runOnDevice(String className) {
    var dir = DemoAssets.model();
    int[] prompt = {1, 450, 4996, 17354, 1701};
    try (var cpu = LlamaModel.load(ModelFiles.open(dir, null, LoadMode.MMAP), CpuBackend::of);
         var gpu = LlamaModel.load(ModelFiles.open(dir, null, LoadMode.MMAP), tornadoFactory(className))) {
        System.out.println("device backend: " + gpu.backend().name());
        float[] a = cpu.newSession(16).prefill(prompt, null);
        float[] b = gpu.newSession(16).prefill(prompt, null);
        double maxDiff = 0;
        for (int i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
        System.out.println(String.format("last-position logits, max |cpu - device| = %.3g", maxDiff));
    }
}

if (missing != null) {
    System.out.println("TornadoVM notebook skipped: " + missing + ".");
    System.out.println("To run it: install TornadoVM, build mod4j with ./mvnw -Ptornadovm package, and start jshell with");
    System.out.println("TornadoVM's JVM options and the tornado-kernels jar on the class path.");
} else {
    runOnDevice(backendClassName);
}
/exit
