package dev.mod4j.report;

import dev.mod4j.api.DemoAssets;

import java.nio.file.Path;

/** The demo model for tests, written once per build into tests/target/demo-cache (shared by the test classes). */
public final class DemoFixture {
    private DemoFixture() {
    }

    /** The cache root the tests use (absolute). */
    public static Path cacheRoot() {
        return Path.of("target", "demo-cache").toAbsolutePath();
    }

    /** The demo model's directory, written on first use. */
    public static Path model() {
        return DemoAssets.model(cacheRoot());
    }
}
