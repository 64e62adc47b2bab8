package dev.mod4j.runtime.generate;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.objects.serialization.PyishSerializable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Values printed as Jinja prints them, with Python's {@code str}: booleans are {@code True} / {@code False}, also
 * inside lists and dicts ({@code [True, 1]}) and through the {@code string} filter, where Jinjava prints Java's
 * {@code true}. Checked against jinja2 (chat-template/booleans.jinja). Not covered: {@code 'x' ~ true} (Jinjava's
 * concatenation converts by itself) and {@code None}, which Jinjava cannot tell from an undefined value (both null;
 * jinja2 prints "None" and "").
 */
final class PythonStr {
    private PythonStr() {
    }

    /** Interpreters whose printed values follow {@link #pythonic}. */
    static final InterpreterFactory INTERPRETERS = new InterpreterFactory() {
        @Override
        public JinjavaInterpreter newInstance(JinjavaInterpreter orig) {
            return new Interpreter(orig);
        }

        @Override
        public JinjavaInterpreter newInstance(Jinjava application, Context context, JinjavaConfig config) {
            return new Interpreter(application, context, config);
        }
    };

    /** {@code x | string}: Python's str(x). */
    static final class StringFilter implements Filter {
        @Override
        public String getName() {
            return "string";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return interpreter.getAsString(var);
        }
    }

    private static final class Interpreter extends JinjavaInterpreter {
        Interpreter(JinjavaInterpreter orig) {
            super(orig);
        }

        Interpreter(Jinjava application, Context context, JinjavaConfig config) {
            super(application, context, config);
        }

        @Override
        public String getAsString(Object value) {
            return value instanceof Boolean b ? PythonBool.of(b).name : super.getAsString(pythonic(value));
        }
    }

    /** The value with its booleans, at any depth of lists and dicts, replaced by ones that print as Python's. */
    static Object pythonic(Object value) {
        if (value instanceof Boolean b) {
            return PythonBool.of(b);
        }
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(k, pythonic(v)));
            return out;
        }
        if (value instanceof Collection<?> items) {
            List<Object> out = new ArrayList<>(items.size());
            items.forEach(v -> out.add(pythonic(v)));
            return out;
        }
        return value;
    }

    /** True or False in Jinjava's Python-style rendering of lists and dicts. */
    private enum PythonBool implements PyishSerializable {
        TRUE("True"), FALSE("False");

        final String name;

        PythonBool(String name) {
            this.name = name;
        }

        static PythonBool of(boolean b) {
            return b ? TRUE : FALSE;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T extends Appendable & CharSequence> T appendPyishString(T appendable) throws IOException {
            return (T) appendable.append(name);
        }
    }
}
