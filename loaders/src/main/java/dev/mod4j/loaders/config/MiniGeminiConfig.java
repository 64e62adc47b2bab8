package dev.mod4j.loaders.config;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Mini-Gemini's settings in an original-layout {@code config.json} (γ-MoD's {@code mod_mgm} checkpoints): the
 * auxiliary high-resolution tower ({@code mm_vision_tower_aux}, an OpenCLIP ConvNeXt), the side it sees
 * ({@code image_size_aux}), and the "HD" views of the low-resolution CLIP tower ({@code image_grid} × {@code image_grid}
 * tiles of a {@code 336·image_grid} image, plus a global view when {@code image_global}). Read as MGM's code reads them
 * (Yaxin9Luo/Gamma-MOD@5de27f2, gamma_mod/MGM/mgm/model/mgm_arch.py {@code encode_images},
 * gamma_mod/MGM/mgm/eval/model_vqa_loader.py): {@code image_grid} defaults to 1, {@code image_global} to false,
 * {@code image_size_aux} to 320 ({@code initialize_uni_modules}).
 *
 * @param visionTowerAux the auxiliary tower's name (its sizes are read from the checkpoint's tensors)
 * @param imageSizeAux   the side of the image the auxiliary tower sees; the low-resolution views are cut from it
 * @param imageGrid      tiles per side of the low-resolution views (2 in the HD models)
 * @param imageGlobal    whether a global view of the whole image comes first (true in the HD models)
 */
public record MiniGeminiConfig(String visionTowerAux, int imageSizeAux, int imageGrid, boolean imageGlobal) {

    /** Low-resolution views per image: the grid's tiles, plus the global view. */
    public int views() {
        return imageGrid * imageGrid + (imageGlobal ? 1 : 0);
    }

    /** The settings of {@code config}, or null when it is not a Mini-Gemini model. */
    public static MiniGeminiConfig read(ModelConfig config) {
        if (config.family() != ModelFamily.LLAVA_ORIGINAL) {
            return null;
        }
        ObjectNode node = ModelConfig.JSON.createObjectNode();
        config.extraFields().forEach(node::set);
        return read(ConfigObject.of(config.file().toString(), "", node));
    }

    static MiniGeminiConfig read(ConfigObject c) {
        String aux = c.string("mm_vision_tower_aux", null);
        if (aux == null) {
            return null;
        }
        if (!aux.toLowerCase(java.util.Locale.ROOT).contains("convnext")) {
            throw new ConfigException(c.where("mm_vision_tower_aux"), "'" + aux + "' is not supported: mod4j runs"
                    + " Mini-Gemini's OpenCLIP ConvNeXt auxiliary tower");
        }
        int size = c.boundedInt("image_size_aux", 320, ClipVisionConfig.MAX_IMAGE_SIZE);
        int grid = c.boundedInt("image_grid", 1, 8);
        boolean global = c.booleanValue("image_global", false);
        if (global && grid < 2) {
            throw new ConfigException(c.where("image_global"), "is true with image_grid " + grid + "; MGM adds a"
                    + " global view only beside a grid of 2 or more tiles");
        }
        return new MiniGeminiConfig(aux, size, grid, global);
    }
}
