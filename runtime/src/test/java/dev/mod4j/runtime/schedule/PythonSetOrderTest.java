package dev.mod4j.runtime.schedule;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.InputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class PythonSetOrderTest {
    /** list(set(xs)) as CPython computed it (tests/golden/generate_reduction_golden.py). */
    @Test
    void iteratesLikeCPython() throws Exception {
        try (InputStream in = PythonSetOrderTest.class.getResourceAsStream("python_set_order.json")) {
            JsonNode cases = new ObjectMapper().readTree(in).get("cases");
            for (JsonNode c : cases) {
                int[] insert = ints(c.get("insert"));
                assertArrayEquals(ints(c.get("iterate")), PythonSetOrder.iterationOrder(insert),
                        "list(set(" + c.get("insert") + "))");
            }
        }
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
