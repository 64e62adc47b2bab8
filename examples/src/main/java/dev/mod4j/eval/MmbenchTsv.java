package dev.mod4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mod4j.loaders.FileLimit;
import dev.mod4j.loaders.InvalidInputException;
import dev.mod4j.loaders.SmallFiles;
import dev.mod4j.loaders.image.ImageDecoder;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * MMBench's TSV as users download it ({@code mmbench_dev_20230712.tsv}: {@code index}, {@code question},
 * {@code hint}, {@code A}..{@code D}, {@code answer}, {@code category}, {@code l2-category}, ..., and the image as
 * base64), asked as LLaVA's {@code llava/eval/model_vqa_mmbench.py} asks it (haotian-liu/LLaVA@c121f04): read as
 * {@code pandas.read_table} reads it (tab-separated, quoted fields, pandas' default missing-value strings); the
 * options are the letters up to the first missing one; the question is {@code hint + "\n" + question} when the hint
 * is present, then {@code "\nA. option"} per option, then, with {@code --single-pred-prompt}, the instruction to answer
 * with the letter; {@code --all-rounds} asks it once per option, rotating the options by one each round.
 *
 * <p>Each question line carries what the answer line and the scorer need: {@code question_id} (the row's index),
 * {@code round_id}, the options as the round shows them under {@code A}..{@code D} and its right letter under
 * {@code answer} (when the TSV has answers), and {@link Evaluation#ANSWER_FIELDS}: the answer line's fields
 * model_vqa_mmbench.py writes ({@code round_id}, {@code prompt} = the question without the instruction,
 * {@code options}, {@code option_char}). The answers files are then what LLaVA's
 * {@code scripts/convert_mmbench_for_submission.py} reads. Images are written once into the image folder as
 * {@code INDEX.png} or {@code INDEX.jpg}.
 */
public final class MmbenchTsv {
    static final List<String> LETTERS = List.of("A", "B", "C", "D");
    /** pandas' default missing-value strings (pandas._libs.parsers.STR_NA_VALUES, pandas 2.x and 3.0). */
    static final Set<String> PANDAS_NA = Set.of("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
            "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null");
    /** The longest field read: a base64 image at the image file limit. */
    private static final long MAX_FIELD_CHARS = FileLimit.IMAGE.maxBytes() / 3 * 4 + 8;

    private MmbenchTsv() {
    }

    public static List<EvalQuestion> read(Path tsv, Path imageFolder, MmbenchPrompt prompt) {
        SmallFiles.checkReadable(tsv, Long.MAX_VALUE);
        try (BufferedReader in = Files.newBufferedReader(tsv, StandardCharsets.UTF_8)) {
            TsvRecords records = new TsvRecords(in, tsv);
            List<String> header = records.next();
            if (header == null) {
                throw new InvalidInputException(tsv.toString(), "is empty; expected MMBench's TSV with a header row");
            }
            for (String needed : List.of("index", "question", "hint", "image", "A", "B", "C", "D")) {
                if (!header.contains(needed)) {
                    throw new InvalidInputException(tsv.toString(), "has no column '" + needed + "' (MMBench's TSV"
                            + " has index, question, hint, A, B, C, D, answer, category, l2-category, image)");
                }
            }
            Files.createDirectories(imageFolder);
            List<EvalQuestion> questions = new ArrayList<>();
            Set<Long> seen = new HashSet<>();
            List<String> values;
            while ((values = records.next()) != null) {
                String where = tsv + " line " + records.startLine();
                if (values.size() > header.size()) {
                    throw new InvalidInputException(where, "has " + values.size() + " fields; the header has "
                            + header.size());
                }
                Map<String, String> row = new LinkedHashMap<>();
                for (int c = 0; c < header.size(); c++) {
                    String v = c < values.size() ? values.get(c) : "";
                    row.put(header.get(c), PANDAS_NA.contains(v) ? null : v);
                }
                questions.addAll(questionsOf(row, where, imageFolder, prompt, seen));
            }
            if (questions.isEmpty()) {
                throw new InvalidInputException(tsv.toString(), "holds no questions");
            }
            return questions;
        } catch (IOException e) {
            throw new InvalidInputException(tsv.toString(), "cannot read: " + e.getMessage(), e);
        }
    }

    /** model_vqa_mmbench.py's is_none: missing, or the text nan / none in any case. */
    static boolean isNone(String value) {
        return value == null || value.equalsIgnoreCase("nan") || value.equalsIgnoreCase("none");
    }

    private static List<EvalQuestion> questionsOf(Map<String, String> row, String where, Path imageFolder,
                                                  MmbenchPrompt prompt, Set<Long> seen) throws IOException {
        long index;
        try {
            index = Long.parseLong(String.valueOf(row.get("index")).strip());
        } catch (NumberFormatException e) {
            throw new InvalidInputException(where, "index must be an integer, got '" + row.get("index") + "'");
        }
        if (!seen.add(index)) {
            throw new InvalidInputException(where, "index " + index + " appears twice");
        }
        if (row.get("question") == null) {
            throw new InvalidInputException(where, "question of index " + index + " is empty");
        }
        if (row.get("image") == null) {
            throw new InvalidInputException(where, "image of index " + index + " is empty");
        }
        String image = writeImage(row.get("image"), index, imageFolder, where);
        List<String> options = new ArrayList<>();
        for (String letter : LETTERS) {
            if (isNone(row.get(letter))) {
                break;
            }
            options.add(row.get(letter));
        }
        int gold = row.get("answer") == null ? -1 : LETTERS.subList(0, options.size()).indexOf(row.get("answer").strip());
        List<String> optionChar = new ArrayList<>(LETTERS.subList(0, options.size()));
        int rounds = prompt.allRounds() ? options.size() : 1;
        List<EvalQuestion> out = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            StringBuilder question = new StringBuilder();
            if (!isNone(row.get("hint"))) {
                question.append(row.get("hint")).append('\n');
            }
            question.append(row.get("question"));
            for (int k = 0; k < options.size(); k++) {
                question.append('\n').append(LETTERS.get(k)).append(". ").append(options.get(k));
            }
            String curPrompt = question.toString();
            String text = prompt.singlePredPrompt() ? curPrompt + "\n" + prompt.instruction() : curPrompt;

            ObjectNode line = JsonNodeFactory.instance.objectNode();
            line.put("question_id", index);
            row.forEach((column, value) -> {
                if (!column.equals("image") && !LETTERS.contains(column) && !column.equals("answer")) {
                    line.put(column, value);
                }
            });
            line.put("round_id", round);
            for (int k = 0; k < LETTERS.size(); k++) {
                line.put(LETTERS.get(k), k < options.size() ? options.get(k) : null);
            }
            if (gold >= 0) {
                // The right option moved up by one letter per round.
                line.put("answer", LETTERS.get(Math.floorMod(gold - round, options.size())));
            } else if (row.get("answer") != null) {
                line.put("answer", row.get("answer"));
            }
            ObjectNode answerFields = line.putObject(Evaluation.ANSWER_FIELDS);
            answerFields.put("round_id", round);
            answerFields.put("prompt", curPrompt);
            ArrayNode optionsNode = answerFields.putArray("options");
            options.forEach(optionsNode::add);
            ArrayNode charNode = answerFields.putArray("option_char");
            optionChar.forEach(charNode::add);
            JsonNode id = line.get("question_id");
            // Rounds share the index; an answer line tells them apart by its prompt (the options' order).
            String key = prompt.allRounds() ? EvalQuestion.keyOf(id.asText(), curPrompt) : id.asText();
            out.add(new EvalQuestion(id, image, text, line.hasNonNull("answer") ? List.of(line.get("answer").asText())
                    : List.of(), line, key));
            options.add(options.removeFirst());
            optionChar.add(optionChar.removeFirst());
        }
        return out;
    }

    /** Decodes the row's base64 image (as Python's b64decode: other characters skipped) into the image folder. */
    private static String writeImage(String base64, long index, Path folder, String where) throws IOException {
        byte[] bytes;
        try {
            bytes = Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(where, "image of index " + index + " is not base64: " + e.getMessage());
        }
        ImageDecoder.Format format = ImageDecoder.detect(bytes);
        if (format == null) {
            throw new InvalidInputException(where, "image of index " + index + " is neither PNG nor JPEG");
        }
        String name = index + (format == ImageDecoder.Format.PNG ? ".png" : ".jpg");
        Path file = folder.resolve(name);
        // Several readers (the driver, Spark executors) may write the same image: whole files only, once.
        if (!Files.exists(file) || Files.size(file) != bytes.length) {
            Path part = Files.createTempFile(folder, name, ".part");
            try {
                Files.write(part, bytes);
                Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(part);
            }
        }
        return name;
    }

    /** Records of a tab-separated file as pandas' C parser splits them: quoted fields may hold tabs, newlines and
     * doubled quotes; blank lines are skipped. */
    private static final class TsvRecords {
        private final BufferedReader in;
        private final Path file;
        private int line = 1;
        private int startLine;
        private int peeked = -2;

        TsvRecords(BufferedReader in, Path file) {
            this.in = in;
            this.file = file;
        }

        int startLine() {
            return startLine;
        }

        private int read() throws IOException {
            if (peeked != -2) {
                int c = peeked;
                peeked = -2;
                return c;
            }
            return in.read();
        }

        private int peek() throws IOException {
            if (peeked == -2) {
                peeked = in.read();
            }
            return peeked;
        }

        List<String> next() throws IOException {
            int c = read();
            while (c == '\n' || c == '\r') {
                line += c == '\n' ? 1 : 0;
                c = read();
            }
            if (c < 0) {
                return null;
            }
            startLine = line;
            List<String> fields = new ArrayList<>();
            StringBuilder field = new StringBuilder();
            boolean quoted = false;
            boolean fieldStart = true;
            while (true) {
                if (c < 0) {
                    if (quoted) {
                        throw new InvalidInputException(file + " line " + startLine, "a quoted field is never closed");
                    }
                    fields.add(field.toString());
                    return fields;
                }
                if (quoted) {
                    if (c == '"') {
                        if (peek() == '"') {
                            read();
                            field.append('"');
                        } else {
                            quoted = false;
                        }
                    } else {
                        line += c == '\n' ? 1 : 0;
                        field.append((char) c);
                    }
                } else if (c == '"' && fieldStart) {
                    quoted = true;
                } else if (c == '\t') {
                    fields.add(field.toString());
                    field.setLength(0);
                    fieldStart = true;
                    c = read();
                    continue;
                } else if (c == '\n' || c == '\r') {
                    if (c == '\r' && peek() == '\n') {
                        read();
                    }
                    line++;
                    fields.add(field.toString());
                    return fields;
                } else {
                    field.append((char) c);
                }
                fieldStart = false;
                if (field.length() > MAX_FIELD_CHARS) {
                    throw new InvalidInputException(file + " line " + startLine, "has a field longer than "
                            + MAX_FIELD_CHARS + " characters (more than an image may hold)");
                }
                c = read();
            }
        }
    }
}
