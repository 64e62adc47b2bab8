package dev.mod4j.server;

/**
 * A request that fails, as OpenAI's API reports it: an HTTP status and an error object
 * {@code {"error": {"message", "type", "param", "code"}}}. The message names the field and the problem; it never
 * carries a stack trace.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final long retryAfterSeconds;

    ApiError(int status, String type, String param, String code, String message, long retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400: the request itself is wrong ({@code param} names the field, or null). */
    public static ApiError invalidRequest(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, null, message, 0);
    }

    /** 400 with OpenAI's {@code context_length_exceeded} code. */
    public static ApiError contextLengthExceeded(String message) {
        return new ApiError(400, "invalid_request_error", "messages", "context_length_exceeded", message, 0);
    }

    public static ApiError unauthorized() {
        return new ApiError(401, "invalid_request_error", null, "invalid_api_key",
                "missing or wrong API key (send it as 'Authorization: Bearer KEY')", 0);
    }

    public static ApiError notFound(String what) {
        return new ApiError(404, "invalid_request_error", null, "not_found", what, 0);
    }

    public static ApiError payloadTooLarge(long limitBytes) {
        return new ApiError(413, "invalid_request_error", null, "request_too_large",
                "the request body is larger than the server's limit of " + limitBytes + " bytes", 0);
    }

    /** 429 with {@code Retry-After}: every session is busy and the queue is full. */
    public static ApiError queueFull(int running, int waiting, long retryAfterSeconds) {
        return new ApiError(429, "rate_limit_error", null, "queue_full", "the server is busy: " + running
                + " requests running and " + waiting + " waiting (the queue is full); retry after "
                + retryAfterSeconds + " s", retryAfterSeconds);
    }

    public static ApiError shuttingDown() {
        return new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down", 0);
    }

    public static ApiError timeout(String message) {
        return new ApiError(504, "timeout_error", null, "timeout", message, 0);
    }

    /** 500: the model failed; the message names the exception's class only (details go to the server's log). */
    public static ApiError internal(Throwable cause) {
        return new ApiError(500, "server_error", null, "internal_error", "the model failed to answer ("
                + cause.getClass().getSimpleName() + "); the server keeps serving", 0);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }

    /** Seconds for a {@code Retry-After} header, 0 for none. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
