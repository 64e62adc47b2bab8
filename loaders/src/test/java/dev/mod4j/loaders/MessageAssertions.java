package dev.mod4j.loaders;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks that an error message tells the user what they need: the file/field and the problem. */
public final class MessageAssertions {
    private MessageAssertions() {
    }

    public static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message != null && message.contains(part),
                    () -> "expected the message to mention '" + part + "': " + message);
        }
    }
}
