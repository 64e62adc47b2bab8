package dev.mod4j.eval;

import dev.mod4j.loaders.progress.ProgressListener;
import dev.mod4j.loaders.progress.ProgressTask;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line's progress bars: drawn on a terminal after half a second, one at a time; none in a pipe. */
class TerminalProgressTest {
    @Test
    void theBarDrawsWhenToldItIsATerminalOnceTheWorkHasTakenHalfASecond() throws Exception {
        StringWriter terminal = new StringWriter();
        ProgressListener progress = new TerminalProgress(new PrintWriter(terminal, true));
        try (ProgressTask quick = progress.start("quick", 2)) {
            quick.advance(2);
        }
        assertEquals("", terminal.toString(), "work done in a blink leaves no line behind");

        try (ProgressTask load = progress.start("load model.safetensors (MiB)", 4)) {
            Thread.sleep(TerminalProgress.QUIET_FOR.toMillis() + 100);
            load.advance(1);
            try (ProgressTask inner = progress.start("vision tower (layers)", 2)) {
                Thread.sleep(TerminalProgress.QUIET_FOR.toMillis() + 100);
                inner.advance(2);
            }
            load.advance(3);
        }
        String drawn = terminal.toString();
        assertTrue(drawn.startsWith("\rload model.safetensors (MiB) [#######.....................] 1/4  25% "), drawn);
        assertTrue(drawn.contains("\rload model.safetensors (MiB) [############################] 4/4 100% "), drawn);
        assertTrue(drawn.endsWith("\n") && drawn.indexOf('\n') == drawn.length() - 1, "one line, ended: " + drawn);
        assertFalse(drawn.contains("vision tower"), "a task inside another is not drawn over it: " + drawn);

        // The next task draws again once the first has closed.
        terminal.getBuffer().setLength(0);
        try (ProgressTask next = progress.start("arank (layers)", 1)) {
            Thread.sleep(TerminalProgress.QUIET_FOR.toMillis() + 100);
            next.advance(1);
        }
        assertTrue(terminal.toString().startsWith("\rarank (layers) [####"), terminal.toString());
    }

    @Test
    void standardErrorThatIsNotATerminalGetsNoBars() {
        // Under the build, standard error is a pipe to the test runner, as in `mod4j ... 2> log`.
        assertFalse(StandardErrorTerminal.isTerminal());
        assertEquals(ProgressListener.NONE, TerminalProgress.forStandardError(new PrintWriter(new StringWriter())));
        StringWriter err = new StringWriter();
        ProgressBar bar = ProgressBar.forTerminal(new PrintWriter(err), "compare", 3);
        bar.step();
        bar.finish();
        assertEquals("", err.toString());
    }

    @Test
    void binMod4jNamesTheTerminalAndAnEmptyNameMeansAPipe() {
        String before = System.getProperty(StandardErrorTerminal.TERMINAL_PROPERTY);
        try {
            System.setProperty(StandardErrorTerminal.TERMINAL_PROPERTY, "");
            assertFalse(StandardErrorTerminal.isTerminal());
            assertEquals("", StandardErrorTerminal.device());
            System.setProperty(StandardErrorTerminal.TERMINAL_PROPERTY, "/dev/pts/7");
            assertTrue(StandardErrorTerminal.isTerminal());
            assertEquals("/dev/pts/7", StandardErrorTerminal.device(), "what a child JVM is told");
        } finally {
            if (before == null) {
                System.clearProperty(StandardErrorTerminal.TERMINAL_PROPERTY);
            } else {
                System.setProperty(StandardErrorTerminal.TERMINAL_PROPERTY, before);
            }
        }
    }
}
