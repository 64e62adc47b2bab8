package dev.mod4j.runtime.generate;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=..., sort_keys=...)}, which transformers installs as the
 * {@code tojson} filter (Jinja's own escapes HTML; Jinjava's has no spaces after separators).
 */
final class PythonJson {
    private PythonJson() {
    }

    static String dumps(Object value, Integer indent, boolean sortKeys) {
        StringBuilder out = new StringBuilder();
        write(out, value, indent, sortKeys, 0);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value, Integer indent, boolean sortKeys, int depth) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (value instanceof Double || value instanceof Float) {
            out.append(pythonFloat(((Number) value).doubleValue()));
        } else if (value instanceof BigDecimal d) {
            out.append(pythonFloat(d.doubleValue()));
        } else if (value instanceof Number n) {
            out.append(n.longValue());
        } else if (value instanceof Map<?, ?> map) {
            List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
            if (sortKeys) {
                entries.sort((a, b) -> String.valueOf(a.getKey()).compareTo(String.valueOf(b.getKey())));
            }
            container(out, '{', '}', entries.size(), indent, depth, i -> {
                string(out, String.valueOf(entries.get(i).getKey()));
                out.append(": ");
                write(out, entries.get(i).getValue(), indent, sortKeys, depth + 1);
            });
        } else if (value instanceof Collection<?> || value instanceof Object[]) {
            List<?> items = value instanceof Object[] array ? List.of(array) : new ArrayList<>((Collection<?>) value);
            container(out, '[', ']', items.size(), indent, depth,
                    i -> write(out, items.get(i), indent, sortKeys, depth + 1));
        } else {
            string(out, String.valueOf(value));
        }
    }

    private static void container(StringBuilder out, char open, char close, int size, Integer indent, int depth,
                                  java.util.function.IntConsumer item) {
        out.append(open);
        if (size == 0) {
            out.append(close);
            return;
        }
        for (int i = 0; i < size; i++) {
            if (indent != null) {
                out.append(i == 0 ? "\n" : ",\n").append(" ".repeat(indent * (depth + 1)));
            } else if (i > 0) {
                out.append(", ");
            }
            item.accept(i);
        }
        if (indent != null) {
            out.append('\n').append(" ".repeat(indent * depth));
        }
        out.append(close);
    }

    /** Python's float repr: shortest round-trip digits, ".0" on integral values, exponent past 1e16. */
    private static String pythonFloat(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        BigDecimal exact = new BigDecimal(Double.toString(d));
        double magnitude = Math.abs(d);
        if (magnitude != 0 && (magnitude >= 1e16 || magnitude < 1e-4)) {
            return Double.toString(d).replace("E", "e").replaceAll("e(\\d)", "e+$1");
        }
        String plain = exact.stripTrailingZeros().toPlainString();
        return plain.contains(".") ? plain : plain + ".0";
    }

    /** ensure_ascii=False: only the quote, the backslash and control characters are escaped. */
    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** The {@code tojson} filter, with {@code indent} and {@code sort_keys} as keyword arguments. */
    static final class ToJsonFilter implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return dumps(var, args.length > 0 && args[0] != null ? Integer.valueOf(args[0]) : null, false);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            Object sortKeys = kwargs.get("sort_keys");
            return dumps(var, indent == null ? null : ((Number) indent).intValue(), Boolean.TRUE.equals(sortKeys));
        }
    }
}
