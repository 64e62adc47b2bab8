#!/usr/bin/python3
"""Golden data for dev.mod4j.loaders.image: LLaVA-1.5 image preprocessing as the Python stack does it.

Run with Debian's interpreter (PIL 9.4 built on libjpeg-turbo 2.1, NumPy 1.24):

    /usr/bin/python3 loaders/src/test/resources/image/generate_image_golden.py

It (re)writes, next to this script:

  inputs/*.png, *.jpg     test images, drawn with PIL / NumPy from fixed seeds (a few 16-bit and low-bit-depth
                          PNGs are written by the small PNG encoder below, since PIL 9.4 cannot save them)
  decoded/<image>.png     (e.g. decoded/photo_400x300.jpg.png) PIL's Image.open(f).convert("RGB") of each input,
                          saved as an 8-bit RGB PNG: the decoder's truth (for JPEGs also the input of the exact
                          resize checks, see below)
  expected/<case>.npy.gz  float32 [3, H, W] pixel values (gzip-compressed .npy) of each case
  expected/<case>.resized.png   PIL's uint8 resize output of some cases, to tell resize bugs from normalize bugs
  manifest.json           the cases: input, preprocessor_config.json contents, pad flag, expected files, shapes

The truth is computed independently of mod4j:

  * decoding and RGB conversion: PIL's Image.open(...).convert("RGB"), as LLaVA's code does;
  * pad to square: LLaVA's expand2square (llava/mm_utils.py), run here with PIL's Image.new + paste;
    background = tuple(int(x * 255) for x in image_mean);
  * resize: PIL's Image.resize((w, h), resample) on the uint8 RGB image, exactly what transformers'
    image_transforms.resize does (to_pil_image of a uint8 array does not rescale; reducing_gap=None);
  * output size, center crop, rescale and normalize: NumPy transcriptions of transformers'
    get_resize_output_image_size(default_to_square=False), center_crop, rescale and normalize
    (src/transformers/image_transforms.py), see the functions below. Transcribed from transformers' main branch
    (image_transforms.py at 000593ad, models/clip/image_processing_clip.py at 06053b84). Older releases wrote
    rescale as `image * scale`; NumPy 1.24 computes that in float64 for a uint8 array too (checked), so the result
    is the same.

Processor cases ("processor": true in the manifest) let the config decide the pad, as transformers does:

  * CLIPImageProcessor (what llava-hf/llava-1.5-7b-hf's preprocessor_config.json names): no pad step at all, a
    `do_pad` field is ignored; CLIPImageProcessor.preprocess at transformers v4.37.2
    (src/transformers/models/clip/image_processing_clip.py): convert_to_rgb, to_numpy_array, resize, center_crop,
    rescale, normalize, to_channel_dimension_format;
  * LlavaImageProcessor with do_pad (transformers v4.48.0, src/transformers/models/llava/image_processing_llava.py):
    `if do_pad: image = self.pad_to_square(image=image, background_color=tuple(int(x * 255) for x in
    self.image_mean), ...)` before the same resize / center_crop / rescale / normalize; pad_to_square is transcribed
    line by line below in NumPy (zeros of the image dtype, each channel filled with its colour, the image pasted at
    (max_dim - side) // 2), independently of the PIL expand2square used by the LLaVA cases.

JPEG cases: the Java decoder (ImageIO) and PIL's libjpeg-turbo may round differently, so each JPEG case is run on
decoded/<image>.png (PIL's pixels) for the exact comparison; the test compares the two decoders separately.
"""

import gzip
import io
import json
import math
import os
import struct
import zlib

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "inputs")
DECODED = os.path.join(HERE, "decoded")
EXPECTED = os.path.join(HERE, "expected")

OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


# ---------------------------------------------------------------------------------------------------------------
# transformers' CLIPImageProcessor, transcribed to NumPy (image_transforms.py / image_processing_clip.py).

def get_resize_output_image_size(height, width, size):
    """get_resize_output_image_size(image, size, default_to_square=False) for size = {"shortest_edge": s}, and the
    (height, width) passthrough for size = {"height": h, "width": w} (default_to_square=True with a pair).

        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = requested_new_short, int(requested_new_short * long / short)
        return (new_long, new_short) if width <= height else (new_short, new_long)
    """
    if "shortest_edge" in size:
        s = size["shortest_edge"]
        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = s, int(s * long / short)
        return (new_long, new_short) if width <= height else (new_short, new_long)
    return size["height"], size["width"]


def pil_resize(rgb_hwc, out_h, out_w, resample):
    """transformers' resize(): PIL.Image.fromarray(uint8 array).resize((width, height), resample, reducing_gap=None)."""
    return np.array(Image.fromarray(rgb_hwc, mode="RGB").resize((out_w, out_h), resample=resample, reducing_gap=None))


def center_crop(image_chw, crop_h, crop_w):
    """transformers' center_crop on a channels-first array (it converts to CHW itself)."""
    orig_h, orig_w = image_chw.shape[-2:]
    top = (orig_h - crop_h) // 2
    bottom = top + crop_h
    left = (orig_w - crop_w) // 2
    right = left + crop_w
    if top >= 0 and bottom <= orig_h and left >= 0 and right <= orig_w:
        return image_chw[..., top:bottom, left:right]
    # "Otherwise, we may need to pad if the image is too small": zeros, image placed at ceil(diff / 2).
    new_h = max(crop_h, orig_h)
    new_w = max(crop_w, orig_w)
    new_image = np.zeros_like(image_chw, shape=image_chw.shape[:-2] + (new_h, new_w))
    top_pad = math.ceil((new_h - orig_h) / 2)
    left_pad = math.ceil((new_w - orig_w) / 2)
    new_image[..., top_pad:top_pad + orig_h, left_pad:left_pad + orig_w] = image_chw
    top += top_pad
    bottom += top_pad
    left += left_pad
    right += left_pad
    return new_image[..., max(0, top):min(new_h, bottom), max(0, left):min(new_w, right)]


def rescale(image, scale):
    """transformers' rescale(dtype=np.float32): upcast to float64, multiply, downcast to float32.
    (transformers 4.36 wrote `image * scale`, which NumPy 1.x also computes in float64 for a uint8 array.)"""
    return (image.astype(np.float64) * scale).astype(np.float32)


def normalize(image_chw, mean, std):
    """transformers' normalize on channels-first data: float32 throughout (mean and std cast to the image dtype).

        if not np.issubdtype(image.dtype, np.floating): image = image.astype(np.float32)
        mean = np.array(mean, dtype=image.dtype); std = np.array(std, dtype=image.dtype)
        image = ((image.T - mean) / std).T
    """
    if not np.issubdtype(image_chw.dtype, np.floating):
        image_chw = image_chw.astype(np.float32)
    mean = np.array(mean, dtype=image_chw.dtype)
    std = np.array(std, dtype=image_chw.dtype)
    return ((image_chw.T - mean) / std).T


def clip_preprocess(rgb_hwc, cfg):
    """CLIPImageProcessor.preprocess for one RGB uint8 image -> (float32 CHW, uint8 resized HWC or None)."""
    size = cfg.get("size", {"shortest_edge": 224})
    if isinstance(size, int):
        size = {"shortest_edge": size}  # get_size_dict(int, default_to_square=False)
    crop = cfg.get("crop_size", {"height": 224, "width": 224})
    if isinstance(crop, int):
        crop = {"height": crop, "width": crop}  # get_size_dict(int, default_to_square=True)
    resample = cfg.get("resample", 3)
    image = rgb_hwc
    resized = None
    if cfg.get("do_resize", True):
        h, w = get_resize_output_image_size(image.shape[0], image.shape[1], size)
        image = pil_resize(image, h, w, resample)
        resized = image
    image = image.transpose(2, 0, 1)  # channels first, as transformers' crop/normalize see it
    if cfg.get("do_center_crop", True):
        image = center_crop(image, crop["height"], crop["width"])
    if cfg.get("do_rescale", True):
        image = rescale(image, cfg.get("rescale_factor", 1 / 255))
    if cfg.get("do_normalize", True):
        image = normalize(image, cfg.get("image_mean", OPENAI_CLIP_MEAN), cfg.get("image_std", OPENAI_CLIP_STD))
    return np.ascontiguousarray(image.astype(np.float32)), resized


def llava_pad_to_square(image_hwc, background_color):
    """LlavaImageProcessor.pad_to_square (transformers v4.48.0) for a channels-last uint8 array:

        height, width = get_image_size(image, input_data_format)
        num_channels = image.shape[0] if input_data_format == ChannelDimension.FIRST else image.shape[-1]
        if height == width: return image
        max_dim = max(height, width)
        if isinstance(background_color, int): background_color = [background_color]
        elif len(background_color) != num_channels: raise ValueError(...)
        result = np.zeros((max_dim, max_dim, num_channels), dtype=image.dtype)
        for i, color in enumerate(background_color): result[:, :, i] = color
        if width > height:
            start = (max_dim - height) // 2
            result[start : start + height, :, :] = image
        else:
            start = (max_dim - width) // 2
            result[:, start : start + width, :] = image
    """
    height, width = image_hwc.shape[:2]
    num_channels = image_hwc.shape[-1]
    if height == width:
        return image_hwc
    max_dim = max(height, width)
    if isinstance(background_color, int):
        background_color = [background_color]
    elif len(background_color) != num_channels:
        raise ValueError("background_color must have one value per channel")
    result = np.zeros((max_dim, max_dim, num_channels), dtype=image_hwc.dtype)
    for i, color in enumerate(background_color):
        result[:, :, i] = color
    if width > height:
        start = (max_dim - height) // 2
        result[start:start + height, :, :] = image_hwc
    else:
        start = (max_dim - width) // 2
        result[:, start:start + width, :] = image_hwc
    return result


def processor_preprocess(rgb_hwc, cfg):
    """The processor named by image_processor_type, as transformers runs it -> (float32 CHW, padded?).

    LlavaImageProcessor.preprocess: `if do_pad: image = self.pad_to_square(...)`, then the CLIP steps; its
    background colour is tuple(int(x * 255) for x in self.image_mean). CLIPImageProcessor: the CLIP steps only."""
    kind = cfg["image_processor_type"]
    assert kind in ("CLIPImageProcessor", "LlavaImageProcessor"), kind
    padded = kind == "LlavaImageProcessor" and cfg.get("do_pad", False)
    image = rgb_hwc
    if padded:
        mean = cfg.get("image_mean", OPENAI_CLIP_MEAN)
        image = llava_pad_to_square(image, tuple(int(x * 255) for x in mean))
    out, _ = clip_preprocess(image, cfg)
    return out, bool(padded and rgb_hwc.shape[0] != rgb_hwc.shape[1])


def expand2square(pil_img, background_color):
    """LLaVA's llava/mm_utils.py expand2square, verbatim in behaviour."""
    width, height = pil_img.size
    if width == height:
        return pil_img
    elif width > height:
        result = Image.new(pil_img.mode, (width, width), background_color)
        result.paste(pil_img, (0, (width - height) // 2))
        return result
    else:
        result = Image.new(pil_img.mode, (height, height), background_color)
        result.paste(pil_img, ((height - width) // 2, 0))
        return result


# ---------------------------------------------------------------------------------------------------------------
# Test images.

def write_png(path, width, height, bit_depth, color_type, rows, palette=None, trns=None, interlace=0):
    """A minimal PNG encoder (filter 0 on every row) for what PIL 9.4 cannot save: 16-bit RGB/RGBA/LA, 2- and
    4-bit grayscale, short palettes, Adam7 interlacing. rows: bytes per row, already packed big-endian (for
    interlace=1: the rows of the seven passes, one after the other)."""
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0,
                                                              interlace))
    if palette is not None:
        out += chunk(b"PLTE", palette)
    if trns is not None:
        out += chunk(b"tRNS", trns)
    out += chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + r for r in rows), 9))
    out += chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(out)


def smooth_field(rng, h, w, channels, cells=4):
    """Smooth random colour field: bilinear interpolation of a coarse random grid."""
    grid = rng.uniform(0, 255, size=(cells + 1, cells + 1, channels))
    ys = np.linspace(0, cells, h)
    xs = np.linspace(0, cells, w)
    y0 = np.minimum(ys.astype(int), cells - 1)
    x0 = np.minimum(xs.astype(int), cells - 1)
    fy = (ys - y0)[:, None, None]
    fx = (xs - x0)[None, :, None]
    g00 = grid[y0][:, x0]
    g01 = grid[y0][:, x0 + 1]
    g10 = grid[y0 + 1][:, x0]
    g11 = grid[y0 + 1][:, x0 + 1]
    return g00 * (1 - fy) * (1 - fx) + g01 * (1 - fy) * fx + g10 * fy * (1 - fx) + g11 * fy * fx


def gradient_image(rng, w, h, noise=18.0):
    """Gradients, a couple of hard edges (to exercise the cubic's negative lobes and clipping) and noise."""
    f = smooth_field(rng, h, w, 3)
    yy, xx = np.mgrid[0:h, 0:w]
    f[..., 0] += 60 * np.sin(xx / 3.0)
    f[(xx // 7 + yy // 5) % 2 == 0, 1] += 90
    f[xx > w * 0.7, :] = [250, 5, 250]  # saturated block: overshoot beyond 0..255 after bicubic
    f += rng.normal(0, noise, size=f.shape)
    return np.clip(np.rint(f), 0, 255).astype(np.uint8)


def make_inputs(rng):
    os.makedirs(INPUTS, exist_ok=True)
    made = {}

    rgb = gradient_image(rng, 50, 38)
    Image.fromarray(rgb, "RGB").save(os.path.join(INPUTS, "wide_50x38.png"))
    made["wide_50x38.png"] = "8-bit RGB, wider than tall"

    tall = gradient_image(rng, 20, 64)
    Image.fromarray(tall, "RGB").save(os.path.join(INPUTS, "tall_20x64.png"))
    made["tall_20x64.png"] = "8-bit RGB, taller than wide"

    odd = gradient_image(rng, 29, 29)
    Image.fromarray(odd, "RGB").save(os.path.join(INPUTS, "square_29x29.png"))
    made["square_29x29.png"] = "8-bit RGB, square (pad is a no-op)"

    photo = gradient_image(rng, 400, 300, noise=6.0)
    yy, xx = np.mgrid[0:300, 0:400]
    disc = (xx - 260) ** 2 + (yy - 120) ** 2 < 70 ** 2
    photo[disc] = [230, 180, 40]
    photo[150:160, 20:380] = [10, 10, 10]
    Image.fromarray(photo, "RGB").save(os.path.join(INPUTS, "photo_400x300.jpg"), quality=90)
    made["photo_400x300.jpg"] = "baseline JPEG, quality 90, 4:2:0 chroma subsampling (PIL's default)"

    small = gradient_image(rng, 45, 31)
    Image.fromarray(small, "RGB").save(os.path.join(INPUTS, "q75_444_45x31.jpg"), quality=75, subsampling=0)
    made["q75_444_45x31.jpg"] = "baseline JPEG, quality 75, 4:4:4, sizes not multiples of 8"

    Image.fromarray(small, "RGB").save(os.path.join(INPUTS, "progressive_45x31.jpg"), quality=85, progressive=True)
    made["progressive_45x31.jpg"] = "progressive JPEG, quality 85, 4:2:0"

    # An embedded ICC profile must not change the pixels (PIL ignores it; the JDK's reader would convert).
    from PIL import ImageCms

    def icc(space):
        # LittleCMS stamps the creation time into the header (bytes 24..35); zeroed for reproducible files.
        data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile(space)).tobytes())
        data[24:36] = bytes(12)
        return bytes(data)
    srgb = icc("sRGB")
    Image.fromarray(small, "RGB").save(os.path.join(INPUTS, "icc_srgb_45x31.jpg"), quality=90, icc_profile=srgb)
    made["icc_srgb_45x31.jpg"] = "JPEG with an embedded sRGB ICC profile (as cameras and editors write)"
    xyz = icc("XYZ")
    Image.fromarray(small, "RGB").save(os.path.join(INPUTS, "icc_xyz_45x31.jpg"), quality=90, icc_profile=xyz)
    made["icc_xyz_45x31.jpg"] = "JPEG with an embedded XYZ ICC profile: pixels still taken as decoded"

    # JPEGs whose components are R, G, B (no YCbCr transform), as Adobe software writes with transform 0. PIL 9.4
    # cannot write them, so the JFIF APP0 segment of a normal JPEG is swapped for an Adobe APP14 segment with
    # transform 0: decoders then take the three stored components as R, G, B directly.
    for src, dst, what in (("q75_444_45x31.jpg", "adobe_rgb_45x31.jpg", "4:4:4"),
                           ("icc_srgb_45x31.jpg", "adobe_rgb_icc_45x31.jpg", "4:2:0 with an sRGB ICC profile")):
        with open(os.path.join(INPUTS, src), "rb") as f:
            data = f.read()
        assert data[2:4] == b"\xff\xe0" and data[6:11] == b"JFIF\x00"
        app0_end = 4 + struct.unpack(">H", data[4:6])[0]
        adobe = b"\xff\xee" + struct.pack(">H", 14) + b"Adobe" + struct.pack(">HHHB", 100, 0, 0, 0)
        with open(os.path.join(INPUTS, dst), "wb") as f:
            f.write(data[:2] + adobe + data[app0_end:])
        made[dst] = f"JPEG coded in RGB (Adobe APP14, transform 0), {what}"
    # Neither JFIF nor Adobe: libjpeg guesses from the component ids; 'R', 'G', 'B' mean RGB. The APP0 segment is
    # dropped and the ids 1, 2, 3 renamed in the frame header (SOF0) and the scan header (SOS).
    with open(os.path.join(INPUTS, "q75_444_45x31.jpg"), "rb") as f:
        data = bytearray(f.read())
    app0_end = 4 + struct.unpack(">H", data[4:6])[0]
    data = data[:2] + data[app0_end:]
    sof = data.index(b"\xff\xc0")
    sos = data.index(b"\xff\xda")
    for i, new_id in enumerate(b"RGB"):
        assert data[sof + 10 + 3 * i] == i + 1 and data[sos + 5 + 2 * i] == i + 1
        data[sof + 10 + 3 * i] = new_id
        data[sos + 5 + 2 * i] = new_id
    with open(os.path.join(INPUTS, "ids_rgb_45x31.jpg"), "wb") as f:
        f.write(bytes(data))
    made["ids_rgb_45x31.jpg"] = "JPEG without JFIF or Adobe segments, component ids 'R', 'G', 'B': coded in RGB"

    gray = gradient_image(rng, 33, 27)[..., 1]
    Image.fromarray(gray, "L").save(os.path.join(INPUTS, "gray_33x27.png"))
    made["gray_33x27.png"] = "8-bit grayscale PNG (L): replicated into R, G, B"

    Image.fromarray(gray, "L").save(os.path.join(INPUTS, "gray_33x27.jpg"), quality=90)
    made["gray_33x27.jpg"] = "grayscale (one component) JPEG"

    pal = Image.fromarray(gradient_image(rng, 40, 30), "RGB").quantize(colors=37)
    pal.info["transparency"] = 5
    pal.save(os.path.join(INPUTS, "palette_40x30.png"), transparency=5)
    made["palette_40x30.png"] = "8-bit palette PNG with a tRNS entry: palette colours, transparency ignored"

    rgba = np.dstack([gradient_image(rng, 36, 44), rng.integers(0, 256, size=(44, 36), dtype=np.uint8)])
    rgba[:5, :, 3] = 0
    Image.fromarray(rgba, "RGBA").save(os.path.join(INPUTS, "rgba_36x44.png"))
    made["rgba_36x44.png"] = "8-bit RGBA PNG: alpha dropped, not composited (PIL's convert('RGB'))"

    la = np.dstack([gray[:20, :24], rng.integers(0, 256, size=(20, 24), dtype=np.uint8)])
    Image.fromarray(la, "LA").save(os.path.join(INPUTS, "la_24x20.png"))
    made["la_24x20.png"] = "8-bit gray+alpha PNG: alpha dropped"

    rgb16 = (rng.integers(0, 65536, size=(20, 30, 3), dtype=np.uint32))
    rgb16[:, :, :] = (gradient_image(rng, 30, 20).astype(np.uint32) << 8) | rgb16 & 0xFF
    write_png(os.path.join(INPUTS, "rgb16_30x20.png"), 30, 20, 16, 2,
              [rgb16[y].astype(">u2").tobytes() for y in range(20)])
    made["rgb16_30x20.png"] = "16-bit RGB PNG: PIL opens it as 8-bit RGB keeping the high byte of each sample"

    rgba16 = rng.integers(0, 65536, size=(14, 18, 4), dtype=np.uint32)
    write_png(os.path.join(INPUTS, "rgba16_18x14.png"), 18, 14, 16, 6,
              [rgba16[y].astype(">u2").tobytes() for y in range(14)])
    made["rgba16_18x14.png"] = "16-bit RGBA PNG: high bytes, alpha dropped"

    gray16 = rng.integers(0, 1024, size=(16, 22), dtype=np.uint32)
    gray16[::3] = rng.integers(0, 65536, size=gray16[::3].shape)
    write_png(os.path.join(INPUTS, "gray16_22x16.png"), 22, 16, 16, 0,
              [gray16[y].astype(">u2").tobytes() for y in range(16)])
    made["gray16_22x16.png"] = ("16-bit grayscale PNG: PIL opens it as mode I and convert('RGB') clamps the value "
                                "to 0..255 (it does not scale)")

    gray4 = rng.integers(0, 16, size=(10, 15), dtype=np.uint8)
    rows = []
    for y in range(10):
        vals = list(gray4[y]) + [0]
        rows.append(bytes((vals[i] << 4) | vals[i + 1] for i in range(0, 15, 2)))
    write_png(os.path.join(INPUTS, "gray4_15x10.png"), 15, 10, 4, 0, rows)
    made["gray4_15x10.png"] = "4-bit grayscale PNG: scaled by 17 (PIL's L;4 unpacker)"

    pal2 = rng.integers(0, 4, size=(9, 13), dtype=np.uint8)
    rows = []
    for y in range(9):
        vals = list(pal2[y]) + [0, 0, 0]
        rows.append(bytes((vals[i] << 6) | (vals[i + 1] << 4) | (vals[i + 2] << 2) | vals[i + 3]
                          for i in range(0, 13, 4)))
    write_png(os.path.join(INPUTS, "palette2_13x9.png"), 13, 9, 2, 3, rows,
              palette=bytes([200, 10, 10, 10, 200, 10, 10, 10, 200, 240, 240, 0]))
    made["palette2_13x9.png"] = "2-bit palette PNG"

    inter = gradient_image(rng, 19, 13)
    rows = []
    for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
                           (0, 1, 1, 2)):
        sub = inter[y0::dy, x0::dx]
        if sub.size:
            rows.extend(sub[y].tobytes() for y in range(sub.shape[0]))
    write_png(os.path.join(INPUTS, "interlaced_19x13.png"), 19, 13, 8, 2, rows, interlace=1)
    made["interlaced_19x13.png"] = "Adam7-interlaced 8-bit RGB PNG"

    short = rng.integers(0, 16, size=(7, 11), dtype=np.uint8)
    write_png(os.path.join(INPUTS, "short_palette_11x7.png"), 11, 7, 8, 3, [short[y].tobytes() for y in range(7)],
              palette=bytes([250, 20, 20, 20, 250, 20, 20, 20, 250, 90, 90, 0, 0, 130, 140]))
    made["short_palette_11x7.png"] = ("8-bit palette PNG whose PLTE has 5 entries while pixels use 0..15: PIL "
                                      "gives the missing entries its initial grey ramp (i, i, i)")

    # Odd differences between the sides: the pad's odd column/row goes right/bottom ((max - side) // 2 before).
    # Its own random stream, so the images above (and the refused ones drawn after) keep theirs.
    own = np.random.default_rng(20261207)
    for w, h in ((23, 40), (41, 26)):
        Image.fromarray(gradient_image(own, w, h), "RGB").save(os.path.join(INPUTS, f"odd_{w}x{h}.png"))
        made[f"odd_{w}x{h}.png"] = f"8-bit RGB, sides differing by an odd {abs(w - h)} pixels"
    return made


def make_refused_inputs(rng):
    """Inputs mod4j refuses on purpose (decoded by PIL, but not reproduced)."""
    cmyk = Image.fromarray(gradient_image(rng, 20, 16), "RGB").convert("CMYK")
    cmyk.save(os.path.join(INPUTS, "refused_cmyk_20x16.jpg"), quality=90)


# ---------------------------------------------------------------------------------------------------------------
# Cases.

def llava_config(image_size):
    """llava-hf/llava-1.5-7b-hf's preprocessor_config.json with another image size."""
    return {
        "crop_size": {"height": image_size, "width": image_size},
        "do_center_crop": True,
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": OPENAI_CLIP_MEAN,
        "image_processor_type": "CLIPImageProcessor",
        "image_std": OPENAI_CLIP_STD,
        "processor_class": "LlavaProcessor",
        "resample": 3,
        "rescale_factor": 0.00392156862745098,
        "size": {"shortest_edge": image_size},
    }


def openai_config(image_size):
    """openai/clip-vit-large-patch14-336's older feature-extractor form: ints for size and crop_size."""
    return {
        "crop_size": image_size,
        "do_center_crop": True,
        "do_normalize": True,
        "do_resize": True,
        "feature_extractor_type": "CLIPFeatureExtractor",
        "image_mean": OPENAI_CLIP_MEAN,
        "image_std": OPENAI_CLIP_STD,
        "resample": 3,
        "size": image_size,
    }


def save_npy_gz(path, array):
    buf = io.BytesIO()
    np.save(buf, array.astype("<f4"))
    with open(path, "wb") as raw:
        # mtime=0 and no file name: reruns give byte-identical files.
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
            f.write(buf.getvalue())


def main():
    rng = np.random.default_rng(20240611)
    descriptions = make_inputs(rng)
    make_refused_inputs(rng)
    os.makedirs(DECODED, exist_ok=True)
    os.makedirs(EXPECTED, exist_ok=True)

    decoded = {}
    for name in sorted(descriptions):
        rgb = np.array(Image.open(os.path.join(INPUTS, name)).convert("RGB"))
        decoded[name] = rgb
        Image.fromarray(rgb, "RGB").save(os.path.join(DECODED, name + ".png"))

    cases = []

    def case(case_id, image, cfg, pad, keep_resized=False):
        rgb = decoded[image]
        img = Image.fromarray(rgb, "RGB")
        if pad:
            mean = cfg.get("image_mean", OPENAI_CLIP_MEAN)
            img = expand2square(img, tuple(int(x * 255) for x in mean))
        out, resized = clip_preprocess(np.array(img), cfg)
        save_npy_gz(os.path.join(EXPECTED, case_id + ".npy.gz"), out)
        entry = {
            "id": case_id,
            "image": image,
            # JPEG inputs: the exact checks run on PIL's decoded pixels (decoded/<name>.png).
            "pixels_from": "decoded/" + image + ".png",
            "pad": pad,
            "config": cfg,
            "expected": "expected/" + case_id + ".npy.gz",
            "shape": list(out.shape),
        }
        if keep_resized and resized is not None:
            Image.fromarray(resized, "RGB").save(os.path.join(EXPECTED, case_id + ".resized.png"))
            entry["resized"] = "expected/" + case_id + ".resized.png"
            entry["resized_shape"] = list(resized.shape)
        cases.append(entry)

    def processor_case(case_id, image, cfg):
        out, padded = processor_preprocess(decoded[image], cfg)
        save_npy_gz(os.path.join(EXPECTED, case_id + ".npy.gz"), out)
        cases.append({
            "id": case_id,
            "image": image,
            "pixels_from": "decoded/" + image + ".png",
            # Decided by the processor the config names, not by the caller.
            "processor": True,
            "pad": padded,
            "config": cfg,
            "expected": "expected/" + case_id + ".npy.gz",
            "shape": list(out.shape),
        })

    # The real size: 336 (llava-1.5), upscaling a small image, padded.
    case("wide_pad_llava336", "wide_50x38.png", llava_config(336), True, keep_resized=True)
    # Every input through a 64-pixel llava-style processor, padded and not.
    for name in sorted(descriptions):
        stem = name.replace(".", "_")
        for pad in (False, True):
            case(f"{stem}_{'pad' if pad else 'nopad'}_c64", name, llava_config(64), pad,
                 keep_resized=name in ("photo_400x300.jpg", "tall_20x64.png") and not pad)
    # Downscales by small factors, the openai int form of the config.
    for name in ("wide_50x38.png", "tall_20x64.png", "photo_400x300.jpg", "rgb16_30x20.png"):
        stem = os.path.splitext(name)[0]
        case(f"{stem}_nopad_openai17", name, openai_config(17), False)
    # Odd crop rectangle larger than the resized image in one direction: transformers pads with zeros.
    odd = llava_config(29)
    odd["crop_size"] = {"height": 35, "width": 25}
    case("wide_nopad_crop35x25", "wide_50x38.png", odd, False, keep_resized=True)
    case("tall_pad_crop35x25", "tall_20x64.png", odd, True)
    odd2 = llava_config(21)
    odd2["crop_size"] = {"height": 24, "width": 40}
    case("tall_nopad_crop24x40", "tall_20x64.png", odd2, False)
    # Exact (height, width) resize, non-uniform scale.
    hw = llava_config(30)
    hw["size"] = {"height": 41, "width": 23}
    case("wide_nopad_size41x23", "wide_50x38.png", hw, False, keep_resized=True)
    # Other resampling filters PIL implements with the same convolution code.
    for resample, label in ((2, "bilinear"), (4, "box"), (5, "hamming"), (1, "lanczos")):
        for name in ("wide_50x38.png", "photo_400x300.jpg"):
            cfg = llava_config(40)
            cfg["resample"] = resample
            stem = os.path.splitext(name)[0]
            case(f"{stem}_nopad_{label}40", name, cfg, False)
    # Switches: no resize (crop only), no normalize, no rescale, no crop; a custom mean/std (the pad colour follows).
    cfg = llava_config(32)
    cfg["do_resize"] = False
    case("photo_noresize_c32", "photo_400x300.jpg", cfg, False)
    cfg = llava_config(32)
    cfg["do_normalize"] = False
    case("wide_nonormalize_c32", "wide_50x38.png", cfg, True)
    cfg = llava_config(32)
    cfg["do_rescale"] = False
    case("wide_norescale_c32", "wide_50x38.png", cfg, False)
    cfg = llava_config(32)
    cfg["do_center_crop"] = False
    case("tall_nocrop_s32", "tall_20x64.png", cfg, False)
    cfg = llava_config(32)
    cfg["image_mean"] = [0.5, 0.5, 0.5]
    cfg["image_std"] = [0.5, 0.5, 0.5]
    case("tall_pad_mean05_c32", "tall_20x64.png", cfg, True)

    # The processor decides: llava-hf/llava-1.5-7b-hf's CLIPImageProcessor never pads (do_pad is not one of its
    # fields and is ignored); LlavaImageProcessor pads only with do_pad.
    case_cfg = llava_config(336)
    processor_case("wide_clip_processor_llava336", "wide_50x38.png", case_cfg)
    for name, stem in (("wide_50x38.png", "wide"), ("tall_20x64.png", "tall"), ("photo_400x300.jpg", "photo"),
                       ("square_29x29.png", "square")):
        cfg = llava_config(64)
        cfg["image_processor_type"] = "LlavaImageProcessor"
        cfg["do_pad"] = True
        processor_case(f"{stem}_llava_processor_do_pad_c64", name, cfg)
    cfg = llava_config(64)
    cfg["image_processor_type"] = "LlavaImageProcessor"
    cfg["do_pad"] = False
    processor_case("wide_llava_processor_no_pad_c64", "wide_50x38.png", cfg)
    cfg = llava_config(64)
    cfg["do_pad"] = True
    processor_case("tall_clip_processor_ignores_do_pad_c64", "tall_20x64.png", cfg)
    # LlavaImageProcessor's pad on odd differences (placement rounding) and the small-image upscale of gray4_15x10
    for name in ("odd_23x40.png", "odd_41x26.png", "gray4_15x10.png"):
        cfg = llava_config(64)
        cfg["image_processor_type"] = "LlavaImageProcessor"
        cfg["do_pad"] = True
        processor_case(f"{os.path.splitext(name)[0]}_llava_processor_do_pad_c64", name, cfg)
    processor_case("odd_23x40_clip_processor_llava336", "odd_23x40.png", llava_config(336))
    cfg = llava_config(32)
    cfg["image_processor_type"] = "LlavaImageProcessor"
    cfg["do_pad"] = True
    cfg["image_mean"] = [0.5, 0.5, 0.5]
    cfg["image_std"] = [0.5, 0.5, 0.5]
    processor_case("tall_llava_processor_do_pad_mean05_c32", "tall_20x64.png", cfg)

    manifest = {
        "generator": "generate_image_golden.py",
        "pil_version": Image.__version__,
        "numpy_version": np.__version__,
        "images": [{"file": "inputs/" + n, "decoded": "decoded/" + n + ".png",
                    "description": d} for n, d in sorted(descriptions.items())],
        "cases": cases,
    }
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = 0
    for root, _, files in os.walk(HERE):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print(f"{len(cases)} cases, {total} bytes under {HERE}")


if __name__ == "__main__":
    main()
