package dev.mod4j.api;

/**
 * The models trained on the Shapes VQA toy task that ship with mod4j (examples/train): the dense miniature LLaVA-1.5
 * and its two Mixture-of-Depths fine-tunes, each with the router tensors and config fields of its method's released
 * checkpoints, so the {@code pmod} and {@code gmod} schedules run with learned routers.
 */
public enum TrainedDemoModel {
    /** The dense model (train_dense.py): every training-free schedule runs on it. */
    DENSE("shapes-llava", "dense"),
    /** p-MoD fine-tune of the dense model (train_mod.py --method pmod): TanhNorm routers, STRing, ratio decay. */
    P_MOD("shapes-llava-pmod", "pmod"),
    /** γ-MoD fine-tune of the dense model (train_mod.py --method gmod): ARank-chosen layers, one shared router. */
    GAMMA_MOD("shapes-llava-gmod", "gmod");

    private final String directory;
    private final String schedule;

    TrainedDemoModel(String directory, String schedule) {
        this.directory = directory;
        this.schedule = schedule;
    }

    /** Its directory name, in the jar's resources and in the cache (with its weights' hash appended). */
    public String directory() {
        return directory;
    }

    /** The schedule it was trained for ({@code dense} for the dense model). */
    public String schedule() {
        return schedule;
    }
}
