package dev.mod4j.server;

import java.util.List;
import java.util.function.Consumer;

/**
 * OpenAI's {@code stop}: the answer ends before the first stop string, which is not part of it. Streamed text is
 * held back only as long as it could still be the start of a stop string.
 */
final class StopStrings {
    private final List<String> stops;
    private final Consumer<String> out;
    private final int holdBack;
    private final StringBuilder pending = new StringBuilder();

    StopStrings(List<String> stops, Consumer<String> out) {
        this.stops = stops;
        this.out = out;
        this.holdBack = stops.stream().mapToInt(String::length).max().orElse(1) - 1;
    }

    /** Takes the next piece of text; true when a stop string has been reached (nothing after it is passed on). */
    boolean accept(String piece) {
        if (stops.isEmpty()) {
            if (!piece.isEmpty()) {
                out.accept(piece);
            }
            return false;
        }
        pending.append(piece);
        int stopAt = -1;
        for (String stop : stops) {
            int at = pending.indexOf(stop);
            if (at >= 0 && (stopAt < 0 || at < stopAt)) {
                stopAt = at;
            }
        }
        if (stopAt >= 0) {
            emit(stopAt);
            pending.setLength(0);
            return true;
        }
        int safe = pending.length() - holdBack;
        if (safe > 0 && Character.isHighSurrogate(pending.charAt(safe - 1))) {
            safe--; // never split a surrogate pair between two chunks
        }
        if (safe > 0) {
            emit(safe);
            pending.delete(0, safe);
        }
        return false;
    }

    /** The text held back, at the end of the answer. */
    void finish() {
        emit(pending.length());
        pending.setLength(0);
    }

    private void emit(int end) {
        if (end > 0) {
            out.accept(pending.substring(0, end));
        }
    }
}
