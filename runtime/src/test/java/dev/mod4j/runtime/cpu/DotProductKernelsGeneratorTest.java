package dev.mod4j.runtime.cpu;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DotProductKernelsGeneratorTest {

    @Test
    void committedKernelsAreTheGeneratorsOutputByteForByte() throws IOException {
        // Surefire runs in the module directory; the generator itself from the repository root.
        Path file = DotProductKernelsGenerator.IN_MODULE;
        String committed = Files.readString(file, StandardCharsets.UTF_8);
        String generated = DotProductKernelsGenerator.regenerate(file, committed);
        assertEquals(generated, committed, file + " differs from DotProductKernelsGenerator's output: edit the"
                + " generator, not its output, and run it from the repository root");
    }

    @Test
    void generatesAOneAndAFourOutputKernelPerDtypeInThatOrder() {
        Matcher kernel = Pattern.compile("private static void (dot1x\\d\\w+)\\(").matcher(
                DotProductKernelsGenerator.kernels());
        StringBuilder names = new StringBuilder();
        while (kernel.find()) {
            names.append(kernel.group(1)).append(' ');
        }
        assertEquals("dot1x1F32 dot1x4F32 dot1x1BF16 dot1x4BF16 dot1x1F16 dot1x4F16 ", names.toString());
    }

    @Test
    void keepsTheHandWrittenPartAboveTheMarker() {
        String handWritten = "class K {\n    int hand;\n\n";
        String regenerated = DotProductKernelsGenerator.regenerate(Path.of("K.java"),
                handWritten + DotProductKernelsGenerator.MARKER + "    stale\n}\n");
        assertTrue(regenerated.startsWith(handWritten + DotProductKernelsGenerator.MARKER));
        assertEquals(handWritten + DotProductKernelsGenerator.kernels(), regenerated);
    }

    @Test
    void rejectsAFileWithoutTheGeneratedSection() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DotProductKernelsGenerator.regenerate(Path.of("K.java"), "class K {\n}\n"));
        assertTrue(e.getMessage().startsWith("K.java: no generated section"), e.getMessage());
    }
}
