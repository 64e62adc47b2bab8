package dev.mod4j.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's "Use as a library" example compiles against this module's class path (the api, runtime and loaders
 * with their dependencies: what a consumer of mod4j-api gets, no CLI) and runs on the demo model.
 */
class ReadmeExampleTest {
    static final Path README = Path.of("..", "README.md");

    @Test
    void libraryExampleCompilesAndAnswers(@TempDir Path tmp) throws Exception {
        String readme = Files.readString(README);
        int section = readme.indexOf("\n## Use as a library\n");
        assertTrue(section >= 0, "README has a section 'Use as a library'");
        Matcher block = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(block.find(section), "the section has a Java example");
        String source = block.group(1);
        Matcher className = Pattern.compile("public class (\\w+)").matcher(source);
        assertTrue(className.find(), "the example is a public class");
        Path file = tmp.resolve("src", className.group(1) + ".java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, source);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int status = javac.run(null, diagnostics, diagnostics, "--release", "25", "-Xlint:all",
                "-classpath", System.getProperty("java.class.path"), "-d", classes.toString(), file.toString());
        assertEquals(0, status, "javac: " + diagnostics.toString(StandardCharsets.UTF_8));

        Path picture = tmp.resolve("demo.png");
        ImageIO.write(DemoAssets.picture().toBufferedImage(), "png", picture.toFile());
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        try (URLClassLoader loader = new URLClassLoader(new URL[]{classes.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            loader.loadClass(className.group(1)).getMethod("main", String[].class)
                    .invoke(null, (Object) new String[]{DemoModelFixture.model().toString(), picture.toString()});
        } finally {
            System.setOut(stdout);
        }
        String output = printed.toString(StandardCharsets.UTF_8);
        assertTrue(output.contains("image tokens per layer [64, 64, "), output);
    }
}
