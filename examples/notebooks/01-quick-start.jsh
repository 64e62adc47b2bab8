// mod4j quick start: load a LLaVA model, ask about an image, read the answer and what it cost.
// Run: bin/notebook examples/notebooks/01-quick-start.jsh   (or paste into jshell started the same way)
// Uses the offline demo model (random, UNTRAINED weights: the answer is noise; the machinery is real).
// For a real model: Llava.open(Path.of("/models/llava-1.5-7b-hf")) and ImageInput.of(Path.of("photo.png")).
import dev.mod4j.api.*;
import java.nio.file.*;
import java.util.*;

var llava = Llava.open(DemoAssets.model());
System.out.println("model: " + llava.name() + ", " + llava.model().decoder().config().numHiddenLayers()
        + " decoder layers, " + llava.model().rowsPerImage() + " image tokens per image");

var image = DemoAssets.image();   // the bundled demo picture; ImageInput.of(path) opens a .png/.jpg/.npy
// A request: the schedule, the token budget, sampling (greedy by default) and a callback that streams the text.
// (In jshell a line that completes a statement runs it: keep the dots of a call chain at the line ends.)
System.out.print("streamed:  ");
var answer = llava.request(image, "What is shown in this picture?").
        schedule("dense").
        maxNewTokens(16).
        onToken(System.out::print).
        ask();
System.out.println();
System.out.println("answer:    " + answer.text());
System.out.println("tokens:    " + Arrays.toString(answer.tokens()));
System.out.println("prefill:   " + String.format("%.1f ms, %,d multiply-adds", answer.prefillMillis(), answer.prefillMacs()));
System.out.println("KV cache:  " + answer.kvCacheBytes() + " bytes");

// The same question with PyramidDrop: fewer image tokens in later layers, fewer MACs.
var pdrop = llava.request(image, "What is shown in this picture?").schedule("pdrop").maxNewTokens(16).ask();
System.out.println("pdrop image tokens per layer: " + Arrays.toString(pdrop.imageTokensPerLayer()));
System.out.println(String.format("pdrop prefill MACs: %.1f%% of dense", 100.0 * pdrop.prefillMacs() / answer.prefillMacs()));

llava.close();
/exit
