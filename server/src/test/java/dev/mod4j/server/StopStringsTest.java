package dev.mod4j.server;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** OpenAI's {@code stop} on streamed pieces: hand-worked cases. */
class StopStringsTest {
    @Test
    void aStopStringSplitOverPiecesEndsTheAnswerBeforeIt() {
        List<String> out = new ArrayList<>();
        StopStrings stop = new StopStrings(List.of("END"), out::add);
        assertFalse(stop.accept("Hello E"));
        assertFalse(stop.accept("N"));
        assertTrue(stop.accept("D and more"));
        assertEquals("Hello ", String.join("", out));
        // nothing was passed on that could have been the start of "END"
        assertEquals(List.of("Hello"), out.subList(0, 1));
    }

    @Test
    void heldBackTextComesOutAtTheEnd() {
        List<String> out = new ArrayList<>();
        StopStrings stop = new StopStrings(List.of("###", "\n\n"), out::add);
        assertFalse(stop.accept("a#"));
        assertFalse(stop.accept("#b"));
        stop.finish();
        assertEquals("a##b", String.join("", out));
    }

    @Test
    void theEarliestOfSeveralStopsWins() {
        List<String> out = new ArrayList<>();
        StopStrings stop = new StopStrings(List.of("yz", "b"), out::add);
        assertTrue(stop.accept("abcxyz"));
        assertEquals("a", String.join("", out));
    }

    @Test
    void withoutStopsPiecesPassAtOnceAndSurrogatePairsStayWhole() {
        List<String> out = new ArrayList<>();
        new StopStrings(List.of(), out::add).accept("x");
        assertEquals(List.of("x"), out);
        List<String> held = new ArrayList<>();
        StopStrings stop = new StopStrings(List.of("ab"), held::add);
        stop.accept("x\uD83D\uDE00"); // x + 😀: the pair is held with the last char, never split
        stop.finish();
        for (String piece : held) {
            assertFalse(Character.isHighSurrogate(piece.charAt(piece.length() - 1)), piece);
        }
        assertEquals("x\uD83D\uDE00", String.join("", held));
    }
}
