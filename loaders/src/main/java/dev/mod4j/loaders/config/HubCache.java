package dev.mod4j.loaders.config;

import dev.mod4j.loaders.SmallFiles;

import dev.mod4j.loaders.InvalidInputException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * The local HuggingFace hub cache, read the way {@code huggingface_hub} reads it (never downloading):
 * {@code models--<org>--<name>/snapshots/<commit>/}, the commit named by {@code refs/main}.
 *
 * @param root the cache directory ({@code .../huggingface/hub})
 */
public record HubCache(Path root) {

    /**
     * huggingface_hub's {@code constants.HF_HUB_CACHE}: {@code $HF_HUB_CACHE} (or the older
     * {@code $HUGGINGFACE_HUB_CACHE}), else {@code $HF_HOME/hub}, else {@code $XDG_CACHE_HOME/huggingface/hub},
     * else {@code ~/.cache/huggingface/hub}.
     */
    public static HubCache fromEnvironment() {
        return fromEnvironment(System::getenv, System.getProperty("user.home"));
    }

    /** As {@link #fromEnvironment()} with the variables and the home directory given (for tests). */
    public static HubCache fromEnvironment(Function<String, String> env, String userHome) {
        String hubCache = firstSet(env.apply("HF_HUB_CACHE"), env.apply("HUGGINGFACE_HUB_CACHE"));
        if (hubCache != null) {
            return new HubCache(expandHome(hubCache, userHome));
        }
        String hfHome = firstSet(env.apply("HF_HOME"), null);
        if (hfHome != null) {
            return new HubCache(expandHome(hfHome, userHome).resolve("hub"));
        }
        String xdg = firstSet(env.apply("XDG_CACHE_HOME"), null);
        Path cache = xdg != null ? expandHome(xdg, userHome) : Path.of(userHome, ".cache");
        return new HubCache(cache.resolve("huggingface").resolve("hub"));
    }

    /** Whether {@code s} reads as a hub repository id ({@code org/name}). */
    public static boolean isRepoId(String s) {
        return s != null && s.matches("[\\w.-]+/[\\w.-]+") && !s.startsWith(".") && !s.contains("..");
    }

    /** {@code models--org--name}: where the cache keeps {@code repoId}. */
    public Path repoFolder(String repoId) {
        return root.resolve("models--" + repoId.replace("/", "--"));
    }

    /**
     * The snapshot of {@code repoId}'s {@code main} revision: {@code snapshots/<the commit in refs/main>} (not the
     * newest folder; huggingface_hub's {@code try_to_load_from_cache}), or null when not cached.
     */
    public Path snapshot(String repoId) {
        Path repo = repoFolder(repoId);
        String revision = "main";
        Path ref = repo.resolve("refs").resolve("main");
        if (Files.isRegularFile(ref)) {
            // A ref names a commit: 40 hex digits; anything much larger is not a ref.
            revision = SmallFiles.readText(ref, 1024).strip();
        }
        if (!revision.matches("[\\w.-]+")) {
            return null;
        }
        Path snapshot = repo.resolve("snapshots").resolve(revision);
        return Files.isDirectory(snapshot) ? snapshot : null;
    }

    /**
     * A model given as a directory, or as a hub id found in this cache ({@code refs/main}'s snapshot); a hub id
     * that is not cached is an {@link InvalidInputException} from source {@code model} naming where it looked.
     */
    public Path resolveModel(Path given) {
        String id = given.toString();
        if (Files.exists(given) || !isRepoId(id)) {
            return given;
        }
        Path snapshot = snapshot(id);
        if (snapshot == null) {
            throw new InvalidInputException("model", "'" + id + "' is neither a directory nor a repository in the"
                    + " HuggingFace cache (looked in " + given.toAbsolutePath() + " and " + repoFolder(id)
                    + " refs/main); download it first, mod4j never downloads");
        }
        return snapshot;
    }

    private static String firstSet(String a, String b) {
        return a != null && !a.isEmpty() ? a : b != null && !b.isEmpty() ? b : null;
    }

    /** Python's {@code os.path.expanduser} on a leading {@code ~}. */
    private static Path expandHome(String path, String userHome) {
        return path.equals("~") ? Path.of(userHome)
                : path.startsWith("~/") ? Path.of(userHome, path.substring(2)) : Path.of(path);
    }
}
