package dev.mod4j.api;

import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.runtime.compare.ScheduleComparison;
import dev.mod4j.runtime.compare.ScheduleRun;
import dev.mod4j.runtime.generate.SamplingOptions;
import dev.mod4j.runtime.prompt.PromptRows;
import dev.mod4j.runtime.schedule.LayerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The request builder on the demo model (8×8 = 64 image tokens, γ-MoD routers, no p-MoD routers). */
class RequestTest {
    static final String QUESTION = DemoAssets.QUESTION;
    static Llava llava;
    static ImageInput image;

    @BeforeAll
    static void open() {
        llava = Llava.open(DemoModelFixture.model());
        image = DemoAssets.image();
    }

    @AfterAll
    static void close() {
        llava.close();
    }

    @Test
    void streamedPiecesJoinToTheAnswersText() {
        List<String> pieces = new ArrayList<>();
        Answer answer = llava.request(image, QUESTION).maxNewTokens(12).onToken(pieces::add).ask();
        assertTrue(answer.tokens().length > 0, "the demo model answers something");
        assertFalse(pieces.isEmpty());
        assertTrue(pieces.stream().noneMatch(String::isEmpty), "no empty pieces: " + pieces);
        assertEquals(answer.text(), String.join("", pieces));
        assertEquals(llava.decode(answer.tokens()), answer.text());
    }

    @Test
    void defaultsAreDenseGreedyAnd32NewTokens() {
        Answer byDefault = llava.request(image, QUESTION).ask();
        Answer explicit = llava.request(image, QUESTION).schedule("dense").maxNewTokens(32)
                .sampling(SamplingOptions.GREEDY).ask();
        assertEquals("dense", byDefault.schedule());
        assertArrayEquals(explicit.tokens(), byDefault.tokens());
        assertTrue(byDefault.tokens().length <= 32);
    }

    @Test
    void askUnderAScheduleEqualsThatScheduleInAComparison() {
        Answer pdrop = llava.request(image, QUESTION).schedule("pdrop").maxNewTokens(6).ask();
        Comparison both = llava.request(image, QUESTION).maxNewTokens(6).compare("dense,pdrop");
        assertEquals(List.of("dense", pdrop.schedule()), both.runs().stream().map(r -> r.spec()).toList());
        assertArrayEquals(pdrop.tokens(), both.runs().get(1).generation().tokens());
        assertArrayEquals(pdrop.imageTokensPerLayer(), both.runs().get(1).imageTokensPerLayer());
        assertEquals(pdrop.prefillMacs(), both.runs().get(1).prefillMacs());
        assertEquals(pdrop.text(), both.texts().get(1));
        // PyramidDrop keeps fewer than the 64 image tokens in its later stages, dense keeps them all.
        assertEquals(64, both.runs().getFirst().imageTokensPerLayer()[7]);
        assertTrue(pdrop.imageTokensPerLayer()[7] < 64, Arrays.toString(pdrop.imageTokensPerLayer()));
    }

    @Test
    void greedyComparisonEqualsTheRuntimesScheduleComparison() {
        String specs = "dense,fastv,pdrop,gmod:skip=0.5";
        Comparison viaRequest = llava.request(image, QUESTION).maxNewTokens(5).compare(specs);
        List<ScheduleRun> viaRuntime = ScheduleComparison.run(llava.model().decoder(), llava.prompt(image, QUESTION),
                llava.schedules(specs, null), 5);
        assertEquals(viaRuntime.size(), viaRequest.runs().size());
        for (int i = 0; i < viaRuntime.size(); i++) {
            ScheduleRun expected = viaRuntime.get(i);
            ScheduleRun actual = viaRequest.runs().get(i);
            assertEquals(expected.spec(), actual.spec());
            assertArrayEquals(expected.generation().tokens(), actual.generation().tokens(), expected.spec());
            assertEquals(expected.trace().records().size(), actual.trace().records().size(), expected.spec());
            for (int r = 0; r < expected.trace().records().size(); r++) {
                LayerRecord e = expected.trace().records().get(r);
                LayerRecord a = actual.trace().records().get(r);
                assertArrayEquals(e.processed(), a.processed(), expected.spec() + " record " + r);
                assertArrayEquals(e.gates(), a.gates(), expected.spec() + " record " + r);
            }
            assertEquals(expected.totalMacs(), actual.totalMacs(), expected.spec());
            assertEquals(expected.kvCacheBytes(), actual.kvCacheBytes(), expected.spec());
        }
    }

    @Test
    void aRequestCanBeAskedAgainWithAFreshSchedule() {
        Request request = llava.request(image, QUESTION).schedule("gmod:skip=0.5").maxNewTokens(4);
        Answer first = request.ask();
        Answer second = request.ask();
        assertArrayEquals(first.tokens(), second.tokens());
        assertArrayEquals(first.imageTokensPerLayer(), second.imageTokensPerLayer());
    }

    @Test
    void theSameSeedSamplesTheSameTokens() {
        SamplingOptions hot = new SamplingOptions(1.5, 0, 1, 7);
        Answer a = llava.request(image, QUESTION).maxNewTokens(8).sampling(hot).ask();
        Answer b = llava.request(image, QUESTION).maxNewTokens(8).sampling(hot).ask();
        assertArrayEquals(a.tokens(), b.tokens());
        List<int[]> others = new ArrayList<>();
        for (long seed = 8; seed < 12; seed++) {
            others.add(llava.request(image, QUESTION).maxNewTokens(8)
                    .sampling(new SamplingOptions(1.5, 0, 1, seed)).ask().tokens());
        }
        assertTrue(others.stream().anyMatch(t -> !Arrays.equals(t, a.tokens())),
                "at temperature 1.5 some other seed samples differently");
    }

    @Test
    void compareWithoutArgumentsSkipsPModOnAModelWithGammaModRoutersOnly() {
        Comparison all = llava.request(image, QUESTION).maxNewTokens(2).compare();
        assertEquals(List.of("dense", "fastv", "pdrop", "gmod", "divprune", "dart", "visionzip"),
                all.runs().stream().map(r -> r.spec().split(":")[0]).toList());
        assertEquals(List.of("pmod (no router tensors in this checkpoint)"), all.skipped());
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> llava.request(image, QUESTION).maxNewTokens(2).compare("dense,pmod"));
        assertTrue(e.getMessage().contains("router tensors"), e.getMessage());
    }

    @Test
    void streamingWithoutATokenizerGivesTheIdsJoinedByCommas(@TempDir Path tmp) throws Exception {
        Path demo = DemoModelFixture.model();
        try (var files = Files.list(demo)) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().startsWith("tokenizer")) {
                    Files.createSymbolicLink(tmp.resolve(f.getFileName()), f);
                }
            }
        }
        try (Llava noTokenizer = Llava.open(tmp)) {
            PromptRows prompt = noTokenizer.model().prompt(new int[]{1, 450, 301, 42, 17}, List.of());
            StringBuilder streamed = new StringBuilder();
            Answer answer = noTokenizer.request(prompt, "ids").maxNewTokens(5).onToken(streamed::append).ask();
            String ids = Arrays.stream(answer.tokens()).mapToObj(Integer::toString).collect(Collectors.joining(","));
            assertEquals(ids, answer.text());
            assertEquals(ids, streamed.toString());
            assertThrows(InvalidInputException.class, () -> noTokenizer.request(image, QUESTION).ask(),
                    "a question as text needs the tokenizer");
        }
    }

    @Test
    void badSettingsAreRefusedNamingTheSetting() {
        Request request = llava.request(image, QUESTION);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> request.maxNewTokens(0));
        assertEquals("maxNewTokens: must be at least 1, got 0", e.getMessage());
        assertThrows(InvalidInputException.class, () -> request.compare(List.of()));
        assertThrows(InvalidInputException.class, () -> request.schedule("nope").ask());
    }
}
