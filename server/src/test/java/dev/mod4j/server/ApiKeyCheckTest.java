package dev.mod4j.server;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiKeyCheckTest {
    @Test
    void onlyTheBearerKeyItselfIsAccepted() {
        ApiKeyCheck check = new ApiKeyCheck("k3y");
        assertTrue(check.accepts("Bearer k3y"));
        assertTrue(check.accepts("bearer k3y"));
        for (String wrong : new String[]{null, "", "k3y", "Bearer ", "Bearer k3", "Bearer k3yy", "Basic k3y"}) {
            assertFalse(check.accepts(wrong), wrong);
        }
    }
}
