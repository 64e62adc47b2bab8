// mod4j quick start: load a LLaVA model, ask about an image, read the answer and what it cost.
// Run: bin/notebook examples/notebooks/01-quick-start.jsh   (or paste into jshell started the same way)
// Uses the offline demo model (random, UNTRAINED weights: the answer is noise; the machinery is real).
// For a real model: Llava.open(Path.of("/models/llava-1.5-7b-hf")) and ImageInput.of(Path.of("photo.png")).
import dev.mod4j.api.*;
import dev.mod4j.cli.DemoAssets;
import java.nio.file.*;
import java.util.*;

var llava = Llava.open(DemoAssets.model());
System.out.println("model: " + llava.name() + ", " + llava.model().decoder().config().numHiddenLayers()
        + " decoder layers, " + llava.model().rowsPerImage() + " image tokens per image");

var image = DemoAssets.image();   // the bundled demo picture; ImageInput.of(path) opens a .png/.jpg/.npy
var answer = llava.ask(image, "What is shown in this picture?", "dense", 16);
System.out.println("answer:    " + answer.text());
System.out.println("tokens:    " + Arrays.toString(answer.tokens()));
System.out.println("prefill:   " + String.format("%.1f ms, %,d multiply-adds", answer.prefillMillis(), answer.prefillMacs()));
System.out.println("KV cache:  " + answer.kvCacheBytes() + " bytes");

// The same question with PyramidDrop: fewer image tokens in later layers, fewer MACs.
var pdrop = llava.ask(image, "What is shown in this picture?", "pdrop", 16);
System.out.println("pdrop image tokens per layer: " + Arrays.toString(pdrop.imageTokensPerLayer()));
System.out.println(String.format("pdrop prefill MACs: %.1f%% of dense", 100.0 * pdrop.prefillMacs() / answer.prefillMacs()));

llava.close();
/exit
