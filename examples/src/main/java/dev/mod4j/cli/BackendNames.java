package dev.mod4j.cli;

import dev.mod4j.runtime.backend.BackendProvider;
import dev.mod4j.runtime.backend.Backends;

import java.util.Iterator;

/** The names of the backends on the class path, for {@code --backend}'s help. */
final class BackendNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
        return Backends.providers().stream().map(BackendProvider::name).iterator();
    }
}
