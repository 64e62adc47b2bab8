package dev.mod4j.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.loaders.FileLimit;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.OutputFiles;
import dev.mod4j.loaders.SmallFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An answers file in LLaVA's format (JSONL, one object per answer with {@code question_id}, {@code prompt},
 * {@code text}, {@code answer_id}, {@code model_id}, {@code metadata}) that survives interruption: answers are
 * appended one whole line per write, and opening an existing file reads which questions it already answers (by
 * question_id, and by question_id + prompt for files that ask several questions under one id, like MME's). A
 * last line cut short by a kill (no newline at the end) is removed; any other bad line is an error.
 */
public final class AnswerFile implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final FileChannel channel;
    private final Map<String, String> answered;

    private AnswerFile(Path path, FileChannel channel, Map<String, String> answered) {
        this.path = path;
        this.channel = channel;
        this.answered = answered;
    }

    /** Opens (creating if needed) {@code path} for appending, after reading the answers already in it. */
    public static AnswerFile open(Path path) {
        OutputFiles.requireWritableFile(path);
        try {
            Map<String, String> answered = Files.exists(path) ? texts(readAndRepair(path)) : new LinkedHashMap<>();
            FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
            return new AnswerFile(path, channel, answered);
        } catch (IOException e) {
            throw new InvalidInputException(path.toString(), "cannot open the answers file: " + e.getMessage());
        }
    }

    /** question_id (as text) → answer text of every answer in the file. */
    public static Map<String, String> read(Path path) {
        return texts(readLines(path));
    }

    /** question_id (as text) → the whole answer line, for every answer in the file (none when it does not exist). */
    public static Map<String, JsonNode> readLines(Path path) {
        try {
            return Files.exists(path) ? readAndRepair(path) : new LinkedHashMap<>();
        } catch (IOException e) {
            throw new InvalidInputException(path.toString(), "cannot read the answers file: " + e.getMessage());
        }
    }

    private static Map<String, String> texts(Map<String, JsonNode> lines) {
        Map<String, String> texts = new LinkedHashMap<>();
        lines.forEach((id, line) -> texts.put(id, line.path("text").asText()));
        return texts;
    }

    private static Map<String, JsonNode> readAndRepair(Path path) throws IOException {
        byte[] bytes = SmallFiles.readBytes(path, FileLimit.JSON_LINES);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] != '\n') {
            end--;
        }
        if (end < bytes.length) {
            // The last answer was being written when the run was stopped: drop it; it is answered again.
            try (FileChannel c = FileChannel.open(path, StandardOpenOption.WRITE)) {
                c.truncate(end);
            }
        }
        Map<String, JsonNode> answered = new LinkedHashMap<>();
        String[] lines = new String(bytes, 0, end, StandardCharsets.UTF_8).split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(lines[i]);
            } catch (JsonProcessingException e) {
                throw new InvalidInputException(path + " line " + (i + 1), "is not JSON; is this an answers file? ("
                        + e.getOriginalMessage() + ")");
            }
            JsonNode id = node == null ? null : node.get("question_id");
            if (id == null) {
                throw new InvalidInputException(path + " line " + (i + 1), "has no question_id");
            }
            answered.put(id.asText(), node);
            answered.put(EvalQuestion.keyOf(id.asText(), node.path("prompt").asText()), node);
        }
        return answered;
    }

    public Path path() {
        return path;
    }

    public boolean isAnswered(String questionKey) {
        return answered.containsKey(questionKey);
    }

    /** Appends one answer as one line, written with one call, so an interruption leaves whole lines only (or a
     * torn last line, removed when the file is next opened). */
    public void append(ObjectNode answer) {
        try {
            byte[] line = (JSON.writeValueAsString(answer) + "\n").getBytes(StandardCharsets.UTF_8);
            ByteBuffer buffer = ByteBuffer.wrap(line);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            answered.put(answer.get("question_id").asText(), answer.path("text").asText());
            answered.put(EvalQuestion.keyOf(answer.get("question_id").asText(), answer.path("prompt").asText()),
                    answer.path("text").asText());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + path, e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + path, e);
        }
    }
}
