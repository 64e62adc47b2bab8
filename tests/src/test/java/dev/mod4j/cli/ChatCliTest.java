package dev.mod4j.cli;

import dev.mod4j.api.DemoAssets;
import dev.mod4j.report.DemoFixture;
import dev.mod4j.runtime.generate.PromptTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * mod4j chat on the demo model (original LLaVA layout: LLaVA's vicuna_v1 conversation), its input piped in. Each
 * answer is what generate answers to the whole conversation written out as LLaVA's Conversation.get_prompt() writes
 * it: the first turn is generate's own prompt, the second the text with the first answer and "</s>" in it.
 */
class ChatCliTest {
    @TempDir
    Path tmp;

    @Test
    void twoTurnsWithAnImageAnswerAsGenerateAnswersTheWholeConversation() throws Exception {
        Path png = tmp.resolve("scene.png");
        ImageIO.write(DemoAssets.picture().toBufferedImage(), "png", png.toFile());
        String model = DemoFixture.model().toString();
        CliRun chat = chat("/image " + png + "\nWhat is shown?\n/nonsense\n\nAnd the colour?\n",
                "chat", "--model", model, "--greedy", "--max-new-tokens", "6");
        assertEquals(0, chat.exitCode(), chat.err());
        // One line on stderr, for the unknown command; the chat went on.
        assertEquals(List.of("mod4j chat: unknown command /nonsense; " + ChatCommand.HELP), chat.err().lines().toList());
        List<String> answers = chat.out().lines().toList();
        assertEquals(2, answers.size(), chat.out());

        CliRun first = CliRun.of("generate", "--model", model, "--image", png.toString(), "--prompt", "What is shown?",
                "--greedy", "--max-new-tokens", "6");
        assertEquals(first.out().lines().toList(), answers.subList(0, 1));
        String conversation = PromptTemplate.SYSTEM + " USER: <image>\nWhat is shown? ASSISTANT: " + answers.get(0).strip()
                + "</s>USER: And the colour? ASSISTANT:";
        CliRun second = CliRun.of("generate", "--model", model, "--image", png.toString(), "--template", "plain",
                "--prompt", conversation, "--greedy", "--max-new-tokens", "6");
        assertEquals(0, second.exitCode(), second.err());
        assertEquals(second.out().lines().toList(), answers.subList(1, 2));
    }

    @Test
    void resetForgetsTheConversationAndABadImageIsOneLineWithoutEndingTheChat() throws Exception {
        String model = DemoFixture.model().toString();
        CliRun chat = chat("/image " + tmp.resolve("missing.png") + "\n/reset\nWhat is shown?\n/quit\nnot read\n",
                "chat", "--model", model, "--greedy", "--max-new-tokens", "4", "--prompt", "Hello.");
        assertEquals(0, chat.exitCode(), chat.err());
        assertEquals(1, chat.err().lines().count(), chat.err());
        assertTrue(chat.err().contains("missing.png"), chat.err());
        List<String> answers = chat.out().lines().toList();
        assertEquals(2, answers.size(), chat.out());
        CliRun fresh = CliRun.of("generate", "--model", model, "--prompt", "What is shown?", "--greedy",
                "--max-new-tokens", "4");
        assertEquals(fresh.out().lines().toList(), answers.subList(1, 2), "after /reset the first turn again");
    }

    /** The CLI in-process with {@code input} as its standard input. */
    private static synchronized CliRun chat(String input, String... args) {
        InputStream stdin = System.in;
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        try {
            return CliRun.of(args);
        } finally {
            System.setIn(stdin);
        }
    }
}
