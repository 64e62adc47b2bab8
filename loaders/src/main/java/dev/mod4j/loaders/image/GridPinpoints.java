package dev.mod4j.loaders.image;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mod4j.loaders.config.ConfigException;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code image_grid_pinpoints}: the resolutions an anyres image may be tiled at, pairs as the file writes them
 * (which axis comes first is the {@link AnyresConvention}'s business). Each side must be a multiple of the base
 * (crop) size, as both LLaVA's and transformers' grid arithmetic assume.
 */
public record GridPinpoints(List<int[]> pairs) {
    /** Largest accepted pinpoint side: 16 crops of 1024 px, far beyond any released model. */
    static final int MAX_SIDE = 16384;
    private static final Pattern PAIR = Pattern.compile("\\(\\s*(\\d+)\\s*,\\s*(\\d+)\\s*\\)|\\[\\s*(\\d+)\\s*,\\s*(\\d+)\\s*]");

    public GridPinpoints {
        pairs = pairs.stream().map(int[]::clone).toList();
    }

    @Override
    public List<int[]> pairs() {
        return pairs.stream().map(int[]::clone).toList();
    }

    /**
     * The field as JSON: a list of two-number lists, or a string that LLaVA passes to {@code ast.literal_eval}
     * ({@code "[(336, 672), (672, 336), ...]"}). LLaVA-OneVision's {@code "(1x1),...,(6x6)"} ranges are refused.
     */
    public static GridPinpoints read(JsonNode node, String where, int baseSize) {
        List<int[]> pairs = new ArrayList<>();
        if (node != null && node.isArray()) {
            for (JsonNode p : node) {
                if (!p.isArray() || p.size() != 2 || !p.get(0).canConvertToInt() || !p.get(1).canConvertToInt()
                        || !p.get(0).isIntegralNumber() || !p.get(1).isIntegralNumber()) {
                    throw new ConfigException(where, "expected pairs of integers, found " + p);
                }
                pairs.add(new int[] {p.get(0).intValue(), p.get(1).intValue()});
            }
        } else if (node != null && node.isTextual()) {
            String text = node.asText();
            if (text.contains("x")) {
                throw new ConfigException(where, "'" + text + "' is LLaVA-OneVision's grid range form (anyres_max);"
                        + " only a list of resolutions (LLaVA-1.6) is supported");
            }
            Matcher m = PAIR.matcher(text);
            while (m.find()) {
                pairs.add(m.group(1) != null
                        ? new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))}
                        : new int[] {Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4))});
            }
        } else {
            throw new ConfigException(where, node == null ? "missing (an anyres model needs its grid pinpoints)"
                    : "expected a list of [a, b] resolutions, found " + node);
        }
        if (pairs.isEmpty()) {
            throw new ConfigException(where, "has no resolutions");
        }
        for (int[] p : pairs) {
            for (int side : p) {
                if (side <= 0 || side > MAX_SIDE || side % baseSize != 0) {
                    throw new ConfigException(where, "resolution [" + p[0] + ", " + p[1] + "] must have sides that"
                            + " are positive multiples of the vision tower's " + baseSize + " px, at most " + MAX_SIDE);
                }
            }
            if ((long) p[0] * p[1] > ImagePreprocessor.MAX_RESIZED_PIXELS) {
                throw new ConfigException(where, "resolution [" + p[0] + ", " + p[1] + "] has more pixels than the"
                        + " limit of " + ImagePreprocessor.MAX_RESIZED_PIXELS);
            }
        }
        return new GridPinpoints(pairs);
    }

    /** Same pairs in the same order. */
    public boolean sameAs(GridPinpoints other) {
        if (pairs.size() != other.pairs.size()) {
            return false;
        }
        for (int i = 0; i < pairs.size(); i++) {
            if (!java.util.Arrays.equals(pairs.get(i), other.pairs.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("[");
        for (int[] p : pairs) {
            b.append(b.length() > 1 ? ", " : "").append('[').append(p[0]).append(", ").append(p[1]).append(']');
        }
        return b.append(']').toString();
    }
}
