package dev.mod4j.eval;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class AnswerGraderTest {
    @Test
    void multipleChoiceTakesTheLeadingLetterOrTheOneAfterAnswerIs() {
        assertEquals(AnswerGrader.Kind.MULTIPLE_CHOICE, AnswerGrader.kind("(B)"));
        assertEquals(Optional.of(true), AnswerGrader.grade(List.of("B"), "B"));
        assertEquals(Optional.of(true), AnswerGrader.grade(List.of("B."), "B. a cat on a mat"));
        assertEquals(Optional.of(true), AnswerGrader.grade(List.of("b"), "(B) cat"));
        assertEquals(Optional.of(true), AnswerGrader.grade(List.of("C"), "The answer is C."));
        assertEquals(Optional.of(false), AnswerGrader.grade(List.of("A"), "B"));
        assertEquals(Optional.of(false), AnswerGrader.grade(List.of("A"), "A cat is shown"),
                "a leading article is not an option letter");
        assertNull(AnswerGrader.choiceLetter("Because of the rain"));
    }

    @Test
    void yesNoFollowsPopesWordRule() {
        assertEquals(AnswerGrader.Kind.YES_NO, AnswerGrader.kind("Yes."));
        assertEquals(Optional.of(true), AnswerGrader.grade(List.of("yes"), "Yes, there is a dog."));
        assertEquals(Optional.of(true), AnswerGrader.grade(List.of("no"), "There is not a dog in the image."));
        assertEquals(Optional.of(true), AnswerGrader.grade(List.of("No"), "no"));
        assertEquals(Optional.of(false), AnswerGrader.grade(List.of("yes"), "No."));
        assertEquals(Optional.of(false), AnswerGrader.grade(List.of("yes"), "a dog"), "neither word: wrong");
    }

    @Test
    void freeFormIsExactAfterNormalisingAndAnyListedAnswerCounts() {
        assertEquals(Optional.of(true), AnswerGrader.grade(List.of("two", "2"), "2"));
        assertEquals(Optional.of(true), AnswerGrader.grade(List.of("the red car"), "Red car."));
        assertEquals(Optional.of(false), AnswerGrader.grade(List.of("red car"), "a blue car"));
        assertEquals(Optional.empty(), AnswerGrader.grade(List.of(), "anything"));
    }

    @Test
    void progressLineShowsCountPercentRateAndEta() {
        String line = new ProgressBar(null, "eval", 40, false).line(10, 40, 5_000_000_000L);
        assertEquals("eval [#######.....................] 10/40  25% 2.0/s ETA 0:15 ", line);
    }
}
