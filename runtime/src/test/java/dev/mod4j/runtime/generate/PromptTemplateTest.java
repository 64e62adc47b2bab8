package dev.mod4j.runtime.generate;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PromptTemplateTest {
    @Test
    void vicunaV1IsLlavaOnePointFivesConversationFormat() {
        // conv_vicuna_v1: system + sep " " + "USER: " + message + sep " " + "ASSISTANT:"
        assertEquals("A chat between a curious user and an artificial intelligence assistant. The assistant gives"
                        + " helpful, detailed, and polite answers to the user's questions. USER: <image>\nWhat is it?"
                        + " ASSISTANT:",
                PromptTemplate.byName("vicuna_v1").apply("What is it?", 1));
        assertEquals("Hi", PromptTemplate.byName("plain").apply("Hi", 0));
    }
}
