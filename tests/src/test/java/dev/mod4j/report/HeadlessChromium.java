package dev.mod4j.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Chromium, headless, for checking pages as a browser renders them. Started with a fresh profile and with
 * its background networking off (this machine has no network, and the test needs none).
 */
public final class HeadlessChromium {
    public static final Path EXECUTABLE = Path.of("/usr/bin/chromium");
    /** What to tell a person when it is missing. */
    public static final String MISSING = "SKIPPED: headless-browser check needs Debian's chromium at " + EXECUTABLE
            + " (apt-get install -y chromium)";

    private HeadlessChromium() {
    }

    public static boolean available() {
        return Files.isExecutable(EXECUTABLE);
    }

    /** The DOM after the page's load event (scripts run), as HTML. */
    public static String dumpDom(Path page, Path scratch) throws IOException, InterruptedException {
        return run(scratch, "--dump-dom", page.toUri().toString());
    }

    /** A PNG screenshot of the page in a {@code width}×{@code height} window. */
    public static void screenshot(Path page, Path png, int width, int height, Path scratch)
            throws IOException, InterruptedException {
        run(scratch, "--hide-scrollbars", "--window-size=" + width + "," + height, "--screenshot=" + png,
                page.toUri().toString());
        if (!Files.isRegularFile(png)) {
            throw new IOException("chromium wrote no screenshot to " + png);
        }
    }

    private static String run(Path scratch, String... args) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(scratch, "chromium-profile-");
        List<String> command = new ArrayList<>(List.of(EXECUTABLE.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--user-data-dir=" + profile));
        command.addAll(List.of(args));
        Path stdout = scratch.resolve("chromium-out-" + System.nanoTime() + ".txt");
        Path stderr = scratch.resolve("chromium-err-" + System.nanoTime() + ".txt");
        Process p = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("chromium did not finish in 90 s: " + command);
        }
        if (p.exitValue() != 0) {
            throw new IOException("chromium exited with " + p.exitValue() + ": " + Files.readString(stderr));
        }
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }
}
