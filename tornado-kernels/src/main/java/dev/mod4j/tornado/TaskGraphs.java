package dev.mod4j.tornado;

import dev.mod4j.tornado.kernels.KvCache;
import dev.mod4j.tornado.kernels.Matmul;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.HalfFloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;

import java.util.ArrayList;
import java.util.List;

/** What the decoder's and the encoder's task graphs build alike: the upload graph, projections, launch grids. */
final class TaskGraphs {
    private TaskGraphs() {
    }

    /**
     * A graph that uploads {@code buffers} on its first execution and leaves them on the device
     * ({@code persistOnDevice}) for the graphs that {@code consumeFromDevice} it. TornadoVM transfers only what a task
     * names, so a no-op task names them, eight at a time.
     */
    static TaskGraph uploadGraph(String name, List<TornadoNativeArray> buffers) {
        TaskGraph g = new TaskGraph(name);
        List<FloatArray> floats = new ArrayList<>();
        List<HalfFloatArray> halves = new ArrayList<>();
        for (TornadoNativeArray a : buffers) {
            if (a instanceof HalfFloatArray half) {
                halves.add(half);
            } else {
                floats.add((FloatArray) a);
            }
        }
        while (floats.size() % 8 != 0) {
            floats.add(new FloatArray(1));
        }
        // Half buffers exist only on a device with fp16 (WeightPrecision.forDevice), so only there is a task that
        // names them (one TornadoVM compiles to half-precision code) part of the graph.
        while (!halves.isEmpty() && halves.size() % 8 != 0) {
            halves.add(new HalfFloatArray(1));
        }
        List<Object> touched = new ArrayList<>(floats);
        touched.addAll(halves);
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, touched.toArray());
        for (int i = 0; i < floats.size(); i += 8) {
            g.task("touch_" + i / 8, KvCache::touch, floats.get(i), floats.get(i + 1), floats.get(i + 2),
                    floats.get(i + 3), floats.get(i + 4), floats.get(i + 5), floats.get(i + 6), floats.get(i + 7));
        }
        for (int i = 0; i < halves.size(); i += 8) {
            g.task("touch_half_" + i / 8, KvCache::touchHalf, halves.get(i), halves.get(i + 1), halves.get(i + 2),
                    halves.get(i + 3), halves.get(i + 4), halves.get(i + 5), halves.get(i + 6), halves.get(i + 7));
        }
        g.persistOnDevice(touched.toArray());
        return g;
    }

    /**
     * Task {@code name}: {@code x · Wᵀ + b} with the matrix-vector kernel (one row) or the tiled product, each in the
     * variant for the weights' precision (float32 or half, see {@link WeightPrecision}).
     */
    static void matmul(TaskGraph g, KernelContext context, String name, boolean matrixVector, IntArray step,
                       FloatArray x, TornadoNativeArray weight, int weightStride, FloatArray bias, int biasStride,
                       FloatArray out, FloatArray gate, int inFeatures, int outFeatures, int epilogue) {
        switch (weight) {
            case FloatArray w when matrixVector -> g.task(name, Matmul::vectorTimesWeights, context, step, x, w,
                    weightStride, bias, biasStride, out, gate, inFeatures, outFeatures, epilogue);
            case FloatArray w -> g.task(name, Matmul::rowsTimesWeights, context, step, x, w, weightStride, bias,
                    biasStride, out, gate, inFeatures, outFeatures, epilogue);
            case HalfFloatArray w when matrixVector -> g.task(name, Matmul::vectorTimesHalfWeights, context, step, x,
                    w, weightStride, bias, biasStride, out, gate, inFeatures, outFeatures, epilogue);
            case HalfFloatArray w -> g.task(name, Matmul::rowsTimesHalfWeights, context, step, x, w, weightStride,
                    bias, biasStride, out, gate, inFeatures, outFeatures, epilogue);
            default -> throw new IllegalArgumentException(name + ": weights of type "
                    + weight.getClass().getSimpleName() + " (the kernels take FloatArray or HalfFloatArray)");
        }
    }

    /** The launch grid of {@link Matmul#rowsTimesWeights} for {@code rows} rows and {@code outFeatures} outputs. */
    static WorkerGrid2D tiles(int rows, int outFeatures) {
        WorkerGrid2D grid = new WorkerGrid2D(Matmul.TILE, Matmul.ROW_GROUP);
        grid.setLocalWork(Matmul.TILE, Matmul.ROW_GROUP, 1);
        resizeTiles(grid, rows, outFeatures);
        return grid;
    }

    /** Sizes a {@link #tiles} grid for {@code rows} rows. */
    static void resizeTiles(uk.ac.manchester.tornado.api.WorkerGrid grid, int rows, int outFeatures) {
        grid.setGlobalWork(roundUp(outFeatures, Matmul.TILE), roundUp(Math.max(rows, 1), Matmul.TILE)
                / Matmul.ROWS_PER_ITEM, 1);
    }

    static WorkerGrid1D grid1d(long global, int local) {
        WorkerGrid1D grid = new WorkerGrid1D((int) global);
        grid.setLocalWork(local, 1, 1);
        return grid;
    }

    static long roundUp(long n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }
}
