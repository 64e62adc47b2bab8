package dev.mod4j.runtime.generate;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The methods of Python's {@code str} that chat templates call ({@code message['role'].upper()},
 * {@code content.strip()}, {@code text.startswith('<')}, ...), which jinja2 allows and Java's String lacks or spells
 * otherwise. Anything else falls through to Jinjava's own resolvers.
 */
final class PythonStringMethods extends ELResolver {
    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || !(method instanceof String name)) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result = call(s, name, args);
        if (result != NOT_A_METHOD) {
            context.setPropertyResolved(true);
            return result;
        }
        return null;
    }

    private static final Object NOT_A_METHOD = new Object();

    private static Object call(String s, String name, Object[] args) {
        return switch (name) {
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "strip" -> strip(s, chars(args), true, true);
            case "lstrip" -> strip(s, chars(args), true, false);
            case "rstrip" -> strip(s, chars(args), false, true);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT)
                    + s.substring(1).toLowerCase(Locale.ROOT);
            case "startswith" -> s.startsWith(String.valueOf(args[0]));
            case "endswith" -> s.endsWith(String.valueOf(args[0]));
            case "replace" -> s.replace(String.valueOf(args[0]), String.valueOf(args[1]));
            case "split" -> split(s, args.length == 0 || args[0] == null ? null : String.valueOf(args[0]),
                    args.length > 1 ? ((Number) args[1]).intValue() : -1);
            case "find" -> (long) s.indexOf(String.valueOf(args[0]));
            case "count" -> (long) (s.isEmpty() && String.valueOf(args[0]).isEmpty() ? 1
                    : s.split(java.util.regex.Pattern.quote(String.valueOf(args[0])), -1).length - 1);
            default -> NOT_A_METHOD;
        };
    }

    private static String chars(Object[] args) {
        return args.length == 0 || args[0] == null ? null : String.valueOf(args[0]);
    }

    /** Python strips whitespace (or the given characters) from the chosen ends. */
    private static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        while (left && start < end && stripped(s.charAt(start), chars)) {
            start++;
        }
        while (right && end > start && stripped(s.charAt(end - 1), chars)) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) || Character.isSpaceChar(c) : chars.indexOf(c) >= 0;
    }

    /** Python's title(): a letter after a non-letter is upper case, any other letter lower case. */
    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousLetter = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(previousLetter ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousLetter = Character.isLetter(c);
        }
        return out.toString();
    }

    /** Python's split: on runs of whitespace without a separator, else on the separator; at most maxSplit splits. */
    private static List<String> split(String s, String separator, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (separator == null) {
            String rest = strip(s, null, true, false);
            while (!rest.isEmpty()) {
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(strip(rest, null, false, true));
                    break;
                }
                int i = 0;
                while (i < rest.length() && !Character.isWhitespace(rest.charAt(i))) {
                    i++;
                }
                parts.add(rest.substring(0, i));
                rest = strip(rest.substring(i), null, true, false);
            }
            return parts;
        }
        int from = 0;
        int at;
        while ((maxSplit < 0 || parts.size() < maxSplit) && (at = s.indexOf(separator, from)) >= 0) {
            parts.add(s.substring(from, at));
            from = at + separator.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
