package dev.mod4j.server;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * A response body of server-sent events ({@code data: ...} and a blank line each), flushed event by event. Helidon's
 * own SSE sink refuses clients whose {@code Accept} header does not name {@code text/event-stream}, and OpenAI's
 * clients send {@code Accept: application/json} while asking for a stream, as OpenAI's API allows; hence the plain
 * output stream. The first failed write means the client has gone: later events are dropped.
 */
final class EventStream implements AutoCloseable {
    private final OutputStream out;
    private boolean clientGone;

    EventStream(OutputStream out) {
        this.out = out;
    }

    /** Sends one event whose data is a single line (compact JSON, or {@code [DONE]}). */
    void send(String data) {
        if (clientGone) {
            return;
        }
        try {
            out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException | UncheckedIOException e) {
            clientGone = true;
        } catch (RuntimeException e) {
            // Helidon reports a closed connection with its own unchecked exceptions as well
            clientGone = true;
        }
    }

    boolean clientGone() {
        return clientGone;
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException | RuntimeException e) {
            clientGone = true;
        }
    }
}
