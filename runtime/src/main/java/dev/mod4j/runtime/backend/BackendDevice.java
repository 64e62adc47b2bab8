package dev.mod4j.runtime.backend;

/**
 * A device a backend can run on.
 *
 * @param id          what selects it (e.g. TornadoVM's {@code B:D}); null for a backend with a single device
 * @param description name, memory and capabilities, for listings
 */
public record BackendDevice(String id, String description) {
}
