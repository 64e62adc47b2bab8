package dev.mod4j.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * {@code Authorization: Bearer KEY} against the server's key in constant time: both sides are hashed to 32 bytes
 * first, so neither the key's length nor the position of the first wrong character shows in the time taken.
 */
final class ApiKeyCheck {
    private static final String BEARER = "Bearer ";
    private final byte[] keyDigest;

    ApiKeyCheck(String key) {
        this.keyDigest = sha256(key);
    }

    boolean accepts(String authorizationHeader) {
        String presented = authorizationHeader != null && authorizationHeader.regionMatches(true, 0, BEARER, 0,
                BEARER.length()) ? authorizationHeader.substring(BEARER.length()).strip() : "";
        return MessageDigest.isEqual(keyDigest, sha256(presented)) & !presented.isEmpty();
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
