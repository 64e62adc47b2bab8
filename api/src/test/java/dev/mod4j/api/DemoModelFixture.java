package dev.mod4j.api;

import java.nio.file.Path;

/** The demo model for this module's tests, written once per build into api/target/demo-cache. */
final class DemoModelFixture {
    private DemoModelFixture() {
    }

    static Path model() {
        return DemoAssets.model(Path.of("target", "demo-cache").toAbsolutePath());
    }
}
