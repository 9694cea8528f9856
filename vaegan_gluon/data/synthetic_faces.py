"""``synthetic-faces``: procedural anime-style cartoon faces with a ground-truth attribute table.

The offline stand-in for the anime-faces set of the original study. Image ``i`` of seed ``s`` depends
only on ``(s, i)`` (its own ``numpy.random.default_rng([s, i])``), so it is identical whatever ``n`` is
and on every machine. Each face is drawn with anti-aliased OpenCV polygons at a working resolution of
``max(2 * size, 96)`` pixels and shrunk with ``INTER_AREA``; the pose (shift, scale, small rotation) is
applied to the polygon coordinates, so nothing is resampled twice.

Attributes (columns of ``ImageSet.attributes``; categories drawn uniformly, booleans with p = 0.5):
``hair_colour``, ``hair_style``, ``eye_colour``, ``skin_tone``, ``background_colour``, ``shirt_colour``
(categorical), ``smiling``, ``mouth_open``, ``blush``, ``glasses`` (bool), and the pose jitter ``dx``,
``dy`` (shift, fraction of the image width), ``scale`` (face size factor) and ``angle`` (degrees,
counter-clockwise).
"""
import functools
import hashlib
import os

import cv2
import numpy as np
import pandas as pd

from .cache import cache_not_written, load_npy, resolve_cache_dir, save_npy_atomic, write_text_atomic
from .imageset import ImageSet, array_checksum, to_unit_float

GENERATOR_VERSION = 1  # bump whenever the drawing changes: it is part of the cache key

# RGB palettes. Distinct hues so that each attribute is visible at 64x64.
HAIR_COLOURS = {"black": (45, 40, 55), "brown": (120, 72, 40), "blonde": (245, 212, 120),
                "red": (205, 55, 45), "pink": (245, 145, 190), "blue": (70, 115, 215)}
HAIR_STYLES = ("short", "bob", "long", "twintails")
EYE_COLOURS = {"blue": (45, 115, 230), "green": (40, 165, 80), "brown": (125, 70, 30),
               "red": (210, 30, 45), "purple": (145, 60, 200)}
SKIN_TONES = {"light": (255, 230, 212), "medium": (240, 200, 162), "tan": (205, 152, 110),
              "dark": (135, 92, 62)}
BACKGROUND_COLOURS = {"sky": (140, 195, 245), "pink": (250, 190, 210), "yellow": (248, 234, 150),
                      "mint": (165, 230, 190), "lavender": (205, 170, 240), "grey": (185, 185, 190)}
SHIRT_COLOURS = {"white": (245, 245, 245), "navy": (40, 50, 110), "red": (190, 40, 50),
                 "green": (60, 130, 80), "orange": (240, 150, 50)}
CATEGORICAL = {"hair_colour": tuple(HAIR_COLOURS), "hair_style": HAIR_STYLES,
               "eye_colour": tuple(EYE_COLOURS), "skin_tone": tuple(SKIN_TONES),
               "background_colour": tuple(BACKGROUND_COLOURS), "shirt_colour": tuple(SHIRT_COLOURS)}
BOOLEAN = ("smiling", "mouth_open", "blush", "glasses")
POSE = {"dx": (-0.06, 0.06), "dy": (-0.05, 0.05), "scale": (0.9, 1.08), "angle": (-12.0, 12.0)}
COLUMNS = tuple(CATEGORICAL) + BOOLEAN + tuple(POSE)

_SHIFT = 4  # cv2 fixed-point sub-pixel bits
_ONE = 1 << _SHIFT


def sample_attributes(seed, index):
    """``(attributes dict, rng)`` of face ``index``; the rng continues with the drawing jitter."""
    rng = np.random.default_rng([int(seed), int(index)])
    attrs = {k: values[int(rng.integers(len(values)))] for k, values in CATEGORICAL.items()}
    for k in BOOLEAN:
        attrs[k] = bool(rng.random() < 0.5)
    for k, (lo, hi) in POSE.items():
        attrs[k] = float(rng.uniform(lo, hi))
    return attrs, rng


def _shade(rgb, factor):
    return tuple(min(255, max(0, int(c * factor))) for c in rgb)


def _mix(a, b, t):
    return tuple(int(round(x * (1 - t) + y * t)) for x, y in zip(a, b))


@functools.lru_cache(maxsize=None)
def _unit_arc(t0, t1, n):
    t = np.radians(np.linspace(t0, t1, n))
    return np.stack([np.cos(t), np.sin(t)], 1)


def _arc(cx, cy, rx, ry, t0=0, t1=360, n=None):
    """Points of an ellipse arc (degrees; y down, so 180..360 is the top half)."""
    n = n or max(8, int(abs(t1 - t0) / 10))
    return _unit_arc(t0, t1, n) * (rx, ry) + (cx, cy)


class _Canvas:
    """An RGB uint8 image plus the pose transform applied to every shape (unit coords -> pixels)."""

    def __init__(self, res, background, dx, dy, scale, angle, centre=(0.5, 0.55)):
        self.res = res
        self.img = np.empty((res, res, 3), np.uint8)
        self.img[:] = background
        a = np.radians(angle)
        rot = np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]]) * scale  # CCW on screen
        c = np.asarray(centre)
        self.A = rot * res * _ONE
        self.b = (c - rot @ c + (dx, dy)) * res * _ONE
        self.px = res * scale  # unit length in pixels (line widths)

    def _pts(self, pts):
        """One polygon ((k, 2) points) or a list of polygons -> list of int32 fixed-point arrays."""
        many = isinstance(pts, list) and len(pts) and np.ndim(pts[0]) == 2
        polys = pts if many else [pts]
        p = np.concatenate(polys) if many else np.asarray(pts, np.float64)
        p = p @ self.A.T
        p += self.b
        p = np.rint(p, out=p).astype(np.int32)
        return np.split(p, np.cumsum([len(q) for q in polys])[:-1]) if many else [p]

    def fill(self, pts, colour):
        cv2.fillPoly(self.img, self._pts(pts), colour, cv2.LINE_AA, _SHIFT)

    def line(self, pts, colour, width, closed=False):
        th = max(1, int(round(width * self.px)))
        cv2.polylines(self.img, self._pts(pts), closed, colour, th, cv2.LINE_AA, _SHIFT)

    def fill_outlined(self, pts, colour, edge, width):
        self.fill(pts, colour)
        self.line(pts, edge, width, closed=True)


def _face_outline():
    top = _arc(0.5, 0.47, 0.25, 0.25, 180, 360, 19)
    t = np.radians(np.linspace(0, 180, 19))
    # lower half pinched towards a small pointed chin (anime jaw)
    x = 0.5 + 0.25 * np.cos(t) * (1 - 0.35 * np.sin(t) ** 2)
    y = 0.47 + 0.29 * np.sin(t)
    return np.concatenate([top, np.stack([x, y], 1)])


_FACE = _face_outline()


def draw_face(attrs, rng, size=64):
    """Render one face as uint8 ``(size, size, 3)`` RGB. ``rng`` supplies the small drawing jitter."""
    res = max(2 * size, 96)
    hair = HAIR_COLOURS[attrs["hair_colour"]]
    hair_dark, hair_light = _shade(hair, 0.6), _mix(hair, (255, 255, 255), 0.45)
    skin = SKIN_TONES[attrs["skin_tone"]]
    skin_edge = _shade(skin, 0.62)
    eye = EYE_COLOURS[attrs["eye_colour"]]
    line_col = (50, 30, 35)
    style = attrs["hair_style"]
    cv = _Canvas(res, BACKGROUND_COLOURS[attrs["background_colour"]], attrs["dx"], attrs["dy"],
                 attrs["scale"], attrs["angle"])
    j = rng.uniform(-1, 1, 16) * 0.012  # jitter of hair spikes and strands

    # --- hair behind the head
    cap = _arc(0.5, 0.45, 0.32, 0.31, 180, 360, 25)
    if style == "long":
        back = np.concatenate([cap, [[0.86, 0.75], [0.88, 1.2], [0.12, 1.2], [0.14, 0.75]]])
    elif style == "bob":
        back = np.concatenate([cap, [[0.84, 0.66], [0.80, 0.74], [0.2, 0.74], [0.16, 0.66]]])
    else:
        back = np.concatenate([cap, [[0.80, 0.58], [0.2, 0.58]]])
    cv.fill_outlined(back, hair, hair_dark, 0.012)
    if style == "twintails":
        for side in (-1, 1):
            tail = _arc(0.5 + side * 0.37, 0.74, 0.09, 0.27, 0, 360, 28)
            tail = (tail - (0.5 + side * 0.37, 0.74)) @ np.array(
                [[1, 0], [side * 0.3, 1]]) + (0.5 + side * 0.37, 0.74)
            cv.fill_outlined(tail, hair, hair_dark, 0.012)
            cv.fill(_arc(0.5 + side * 0.30, 0.48, 0.035, 0.035), (235, 60, 80))  # hair tie

    # --- neck and shirt
    cv.fill([[0.44, 0.68], [0.56, 0.68], [0.56, 0.9], [0.44, 0.9]], _shade(skin, 0.85))
    shirt = SHIRT_COLOURS[attrs["shirt_colour"]]
    cv.fill_outlined(np.concatenate([_arc(0.5, 1.1, 0.4, 0.24, 180, 360, 20), [[0.9, 1.3], [0.1, 1.3]]]),
                     shirt, _shade(shirt, 0.6), 0.01)
    cv.fill([[0.44, 0.86], [0.5, 0.93], [0.56, 0.86]], _shade(skin, 0.85))  # collar opening

    # --- face
    cv.fill_outlined(_FACE, skin, skin_edge, 0.01)
    if attrs["blush"]:
        pink = _mix(skin, (245, 85, 120), 0.65)
        for side in (-1, 1):
            cx = 0.5 + side * 0.15
            cv.fill(_arc(cx, 0.615, 0.055, 0.026), pink)
            for k in (-1, 0, 1):
                cv.line([[cx + k * 0.022 - 0.008, 0.628], [cx + k * 0.022 + 0.008, 0.602]],
                        _mix(pink, (200, 40, 70), 0.5), 0.008)

    # --- eyes (both at once, layer by layer): sclera, iris, lower-iris glow, pupil, two highlights,
    # thick upper lash line with a flick at the outer corner, thin lower lid
    layers = {k: [] for k in ("sclera", "iris", "glow", "pupil", "hl1", "hl2", "lash", "lid")}
    for side in (-1, 1):
        cx, cy = 0.5 + side * 0.115, 0.525
        layers["sclera"].append(_arc(cx, cy, 0.062, 0.072))
        layers["iris"].append(_arc(cx, cy + 0.008, 0.048, 0.064))
        layers["glow"].append(_arc(cx, cy + 0.02, 0.036, 0.036, 0, 180))
        layers["pupil"].append(_arc(cx, cy + 0.004, 0.024, 0.034))
        layers["hl1"].append(_arc(cx - 0.016, cy - 0.02, 0.017, 0.017))
        layers["hl2"].append(_arc(cx + 0.018, cy + 0.03, 0.008, 0.008))
        lash = _arc(cx, cy + 0.004, 0.068, 0.078, 195, 345, 14)
        outer = lash[-1] if side > 0 else lash[0]
        flick = (outer + (side * 0.025, 0.012))[None]
        layers["lash"].append(np.concatenate([lash, flick] if side > 0 else [flick, lash]))
        layers["lid"].append(_arc(cx, cy + 0.002, 0.05, 0.074, 60, 120, 6))
    cv.fill(layers["sclera"], (255, 255, 255))
    cv.fill(layers["iris"], eye)
    cv.fill(layers["glow"], _mix(eye, (255, 255, 255), 0.35))
    cv.fill(layers["pupil"], _shade(eye, 0.35))
    cv.fill(layers["hl1"] + layers["hl2"], (255, 255, 255))
    cv.line(layers["lash"], line_col, 0.022)
    cv.line(layers["lid"], line_col, 0.008)

    # --- nose and mouth
    cv.line([[0.5, 0.615], [0.492, 0.625]], skin_edge, 0.012)
    mouth_dark, lip = (120, 25, 40), (90, 30, 35)
    if attrs["smiling"] and attrs["mouth_open"]:
        m = np.concatenate([[[0.44, 0.665], [0.56, 0.665]], _arc(0.5, 0.665, 0.06, 0.05, 0, 180, 12)])
        cv.fill(m, mouth_dark)
        cv.fill(_arc(0.5, 0.7, 0.035, 0.014), (240, 120, 130))  # tongue
        cv.line(m, lip, 0.008, closed=True)
    elif attrs["smiling"]:
        cv.line(_arc(0.5, 0.64, 0.07, 0.042, 15, 165, 12), lip, 0.02)
    elif attrs["mouth_open"]:
        m = _arc(0.5, 0.685, 0.03, 0.034)
        cv.fill(m, mouth_dark)
        cv.line(m, lip, 0.008, closed=True)
    else:
        cv.line([[0.472, 0.685], [0.528, 0.685]], lip, 0.012)

    # --- front hair: cap with a jagged fringe over the forehead, side locks, highlight ring
    fringe = [[0.77, 0.47], [0.70, 0.35], [0.665, 0.43], [0.60, 0.33], [0.545, 0.445], [0.48, 0.32],
              [0.42, 0.44], [0.36, 0.34], [0.30, 0.46], [0.23, 0.47]]
    fringe = np.asarray(fringe) + np.stack([j[:10] * 0.5, j[6:16]], 1)
    front = np.concatenate([_arc(0.5, 0.45, 0.28, 0.27, 180, 360, 21), fringe])
    cv.fill_outlined(front, hair, hair_dark, 0.01)
    if style in ("long", "bob", "twintails"):
        lock_end = {"long": 0.86, "bob": 0.72, "twintails": 0.66}[style]
        for side in (-1, 1):
            x0 = 0.5 + side * 0.25
            lock = [[x0 - side * 0.04, 0.36], [x0 + side * 0.02, 0.36], [x0 + side * 0.035, lock_end],
                    [x0 - side * 0.01 + j[side + 1], lock_end - 0.07], [x0 - side * 0.05, 0.5]]
            cv.fill_outlined(lock, hair, hair_dark, 0.008)
    else:  # short: spiky sideburns
        for side in (-1, 1):
            x0 = 0.5 + side * 0.255
            cv.fill_outlined([[x0 - side * 0.03, 0.4], [x0 + side * 0.02, 0.42], [x0 - side * 0.005, 0.6]],
                             hair, hair_dark, 0.008)
    cv.line(_arc(0.5, 0.43, 0.2, 0.17, 215, 325, 12), hair_light, 0.022)  # "angel ring" highlight
    # eyebrows, drawn through the fringe as anime does
    cv.line([_arc(0.5 + side * 0.115, 0.445, 0.045, 0.012, 200, 340, 6) for side in (-1, 1)], hair_dark, 0.012)

    # --- glasses
    if attrs["glasses"]:
        frame = (35, 35, 45)
        cv.line([_arc(0.5 + side * 0.118, 0.53, 0.088, 0.078, 0, 360, 30) for side in (-1, 1)], frame, 0.02,
                closed=True)
        cv.line([np.array([[0.5 + side * 0.206, 0.52], [0.5 + side * 0.25, 0.5]]) for side in (-1, 1)]
                + [np.array([[0.468, 0.52], [0.532, 0.52]])], frame, 0.016)

    return cv2.resize(cv.img, (size, size), interpolation=cv2.INTER_AREA)


def generate(indices, size=64, seed=0):
    """Faces at ``indices``: ``(uint8 (N, 3, size, size), attribute DataFrame indexed by face index)``."""
    indices = np.asarray(indices, np.int64).reshape(-1)
    out = np.empty((len(indices), 3, size, size), np.uint8)
    rows = []
    for k, i in enumerate(indices):
        attrs, rng = sample_attributes(seed, i)
        out[k] = draw_face(attrs, rng, size).transpose(2, 0, 1)  # HWC -> CHW by transposition
        rows.append(attrs)
    return out, attribute_frame(rows, indices)


def attribute_frame(rows, indices):
    """A DataFrame of attribute dicts with fixed categorical dtypes, indexed by face index."""
    df = pd.DataFrame(rows, columns=list(COLUMNS), index=pd.Index(np.asarray(indices, np.int64),
                                                                  name="index"))
    for k, values in CATEGORICAL.items():
        df[k] = pd.Categorical(df[k], categories=list(values))
    for k in BOOLEAN:
        df[k] = df[k].astype(bool)
    return df


def split_range(n, split):
    """Face indices of ``split``: train = the first 80% (``round(0.8 n)``), test = the rest."""
    n_train = int(round(0.8 * n))
    return {"train": np.arange(n_train), "test": np.arange(n_train, n), "all": np.arange(n)}[split]


def load_synthetic_faces(split, n=10000, size=64, seed=0, cache_dir=None):
    """``n`` faces (indices ``0..n-1``) of ``seed``, split 80/20 by index; cached as uint8 .npy."""
    n, size, seed = int(n), int(size), int(seed)
    if n < 1 or size < 8:
        raise ValueError(f"synthetic-faces: need n >= 1 and size >= 8, got n={n}, size={size}")
    idx = split_range(n, split)
    tag = hashlib.sha256(repr((GENERATOR_VERSION, seed, size, int(idx[0]) if len(idx) else 0,
                               len(idx))).encode()).hexdigest()[:20]
    base = os.path.join(resolve_cache_dir(cache_dir), "synthetic-faces", tag)
    images_u8 = load_npy(base + ".npy")
    cached = images_u8 is not None and images_u8.shape == (len(idx), 3, size, size) and os.path.exists(
        base + ".csv")
    if cached:
        attrs = attribute_frame(pd.read_csv(base + ".csv", index_col="index").to_dict("records"), idx)
    else:
        images_u8, attrs = generate(idx, size, seed)
        try:
            save_npy_atomic(base + ".npy", images_u8)
            write_text_atomic(base + ".csv", attrs.to_csv())
        except OSError as err:  # read-only cache or a full disk: the faces are returned all the same, not cached
            cache_not_written(base + ".npy", err)
    images = to_unit_float(images_u8)
    prov = dict(source="synthetic-faces", path=None, count=len(images), checksum=array_checksum(images),
                split=split, n=n, size=size, seed=seed, generator_version=GENERATOR_VERSION, cached=cached,
                licence="generated by vaegan_gluon (MIT)")
    return ImageSet(images, None, attrs, prov, f"synthetic-faces/{split}")


def render(attrs, size=64, seed=0, index=0):
    """Draw a face from an explicit attribute dict (e.g. one attribute toggled), uint8 ``(size, size, 3)``.

    The drawing jitter comes from ``(seed, index)`` as in :func:`generate`, so
    ``render(sample_attributes(s, i)[0], size, s, i)`` equals face ``i`` of seed ``s``.
    """
    _, rng = sample_attributes(seed, index)
    return draw_face(attrs, rng, size)


def sample_grid(rows=8, cols=8, size=64, seed=0):
    """A ``(rows * size, cols * size, 3)`` uint8 RGB grid of faces ``0 .. rows * cols - 1``."""
    images, _ = generate(np.arange(rows * cols), size, seed)
    return images.reshape(rows, cols, 3, size, size).transpose(0, 3, 1, 4, 2).reshape(
        rows * size, cols * size, 3)
