"""Build the texture pack (tools/d3train/data/textures.npz) from photographs in Debian packages.

Reproducible: the .deb files are fetched with `apt-get download`, checked against the sha256
recorded below, unpacked with `dpkg-deb -x`, and cropped by a fixed-seed rule. The pack and
its provenance table (data/TEXTURES.md) are written together.

Usage: python3 tools/d3train/build_textures.py [--cache _build/media] [--size 256] [--out DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import subprocess
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np

from d3train import paths

# (package, version, .deb sha256, licence as in the package's debian/copyright)
PACKAGES: dict[str, tuple[str, str, str]] = {
    "plasma-workspace-wallpapers": ("4:5.27.5-2",
                                    "32cd18b71c8c938a18b3b351f217c02ac590e323caa3cf322fbb875ce8892f8b",
                                    "GPL-2+ (KDE Visual Design Group, 2014)"),
    "mate-backgrounds": ("1.26.0-1", "7bf4c2209f34b4f61ba6d24c8b58c28b361e82e4b943aae6d42c030169af9e04",
                         "GPL-2+ (author per file in debian/copyright)"),
    "kphotoalbum": ("5.9.1-1", "00f8b26b5db1beb30a822d15f464b3c68ffa556d267870aa98a59aaaaf81ec43",
                    "GPL-2+ (Jesper K. Pedersen et al.)"),
    "python3-skimage": ("0.19.3-8", "728d88c3e3440f1f3712de0805dc834d29248ff07e1eec8c0f3da07606f752f9",
                        "BSD-3-Clause package; per-image terms below"),
}

_PL = "usr/share/wallpapers/{}/contents/images/1920x1080.jpg"
_MATE = "usr/share/backgrounds/mate/nature/{}.jpg"
_KPA = "usr/share/kphotoalbum/demo/{}.jpg"
_SK = "usr/lib/python3/dist-packages/skimage/data/{}"

# (package, path inside the package, crops, author / licence note). Abstract and vector
# wallpapers are left out (FlyingKonqui, PastelHills, the mate abstract/desktop sets); so is
# skimage's Middlebury motorcycle pair, which tools/eval.py uses as a test pair.
IMAGES: list[tuple[str, str, int, str]] = (
    [("plasma-workspace-wallpapers", _PL.format(n), 3, "KDE VDG, GPL-2+")
     for n in ("Autumn", "BytheWater", "ColdRipple", "DarkestHour", "EveningGlow", "FallenLeaf", "Grey",
               "Kite", "OneStandsOut", "Path", "summer_1am")]
    + [("mate-backgrounds", _MATE.format(n), 2, a) for n, a in (
        ("Aqua", "Charles Barbin, GPL-2+"), ("Blinds", "Lennart Poettering, GPL-2+"),
        ("Dune", "Marco Cogoni, GPL-2+"), ("FreshFlower", "Jens Ansorg, GPL-2+"),
        ("Garden", "Charles Barbin, GPL-2+"), ("GreenMeadow", "Timothy Schellhase, GPL-2+"),
        ("LadyBird", "Charles Barbin, GPL-2+"), ("RainDrops", "blackcombwhistler07, GPL-2+"),
        ("Storm", "Sergey Nazarov, GPL-2+"), ("TwoWings", "Charles Barbin, GPL-2+"),
        ("Wood", "Jean-François Fortin Tam, GPL-2+"), ("YellowFlower", "Charles Barbin, GPL-2+"))]
    + [("kphotoalbum", _KPA.format(n), 1, "KPhotoAlbum demo, GPL-2+")
       for n in ("anne_helene", "bar55", "bar55_2", "blackie", "cold_water", "donna", "donna_2",
                 "grand_canyon_1", "grand_canyon_2", "grand_canyon_3", "jesper", "jesper_2", "new_wave_1",
                 "new_wave_2", "pool", "pool_2", "qt-logo", "skagen", "skagen_2", "snow", "spiff", "spiff_2",
                 "sunset", "wayne")]
    + [("python3-skimage", _SK.format(n), c, a) for n, c, a in (
        ("astronaut.png", 1, "NASA, public domain"), ("coffee.png", 1, "Rachel Michetti, CC0"),
        ("chelsea.png", 1, "Stefan van der Walt, CC0"), ("rocket.jpg", 1, "SpaceX, public domain"),
        ("grass.png", 1, "CC0Textures via scikit-image, CC0"), ("gravel.png", 1, "CC0Textures Gravel04, CC0"),
        ("brick.png", 1, "CC0Textures Bricks25, CC0"))]
)


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(cache: str) -> dict[str, str]:
    """Download (if needed), verify and unpack every package; returns package -> unpacked root."""
    os.makedirs(cache, exist_ok=True)
    roots = {}
    for pkg, (ver, digest, _) in PACKAGES.items():
        debs = [f for f in os.listdir(cache) if f.startswith(pkg + "_") and f.endswith(".deb")]
        if not debs:
            subprocess.run(["apt-get", "download", f"{pkg}={ver}"], cwd=cache, check=True)
            debs = [f for f in os.listdir(cache) if f.startswith(pkg + "_") and f.endswith(".deb")]
        deb = os.path.join(cache, sorted(debs)[-1])
        got = sha256(deb)
        if got != digest:
            raise SystemExit(f"build_textures: {deb}: sha256 {got}, expected {digest}")
        root = os.path.join(cache, "x-" + pkg)
        if not os.path.isdir(root):
            subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
        roots[pkg] = root
    return roots


def crops(img: "object", n: int, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Crop 0: the largest centred square; crops 1..n-1: random squares of 35-65% of the short side."""
    from PIL import Image
    w, h = img.size
    s = min(w, h)
    boxes = [((w - s) // 2, (h - s) // 2, s)]
    for _ in range(n - 1):
        c = int(s * rng.uniform(0.35, 0.65))
        boxes.append((int(rng.integers(0, w - c + 1)), int(rng.integers(0, h - c + 1)), c))
    out = []
    for x, y, c in boxes:
        im = img.crop((x, y, x + c, y + c)).resize((size, size), Image.LANCZOS)
        out.append(np.asarray(im, dtype=np.uint8))
    return out


def main(argv: list[str] | None = None) -> int:
    from PIL import Image, ImageOps
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cache", default=str(paths.REPO_DIR / "_build" / "media"))
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--out", default=str(paths.TOOLS_DIR / "d3train" / "data"))
    a = p.parse_args(argv)
    roots = fetch(a.cache)
    rng = np.random.default_rng(20261128)
    tex: list[np.ndarray] = []
    rows: list[str] = []
    for pkg, path, n, note in IMAGES:
        src = os.path.join(roots[pkg], path)
        with open(src, "rb") as f:
            raw = f.read()
        img = ImageOps.exif_transpose(Image.open(io.BytesIO(raw))).convert("RGB")
        first = len(tex)
        tex += crops(img, n, a.size, rng)
        rows.append(f"| {first}..{len(tex) - 1} | {pkg} {PACKAGES[pkg][0]} | `{path}` | {img.size[0]}x{img.size[1]} "
                    f"| {hashlib.sha256(raw).hexdigest()[:16]} | {note} |")
    arr = np.stack(tex)
    os.makedirs(a.out, exist_ok=True)
    out = os.path.join(a.out, "textures.npz")
    np.savez_compressed(out, textures=arr)
    md = os.path.join(a.out, "TEXTURES.md")
    with open(md, "w", encoding="utf-8") as f:
        f.write("# Texture pack provenance\n\n"
                f"`textures.npz`: array `textures`, uint8, shape {tuple(arr.shape)} (N, H, W, RGB), "
                f"sha256 `{sha256(out)}`.\n"
                "Built by `python3 tools/d3train/build_textures.py` (apt-get download, sha256 check, "
                "dpkg-deb -x, fixed-seed crops: crop 0 is the largest centred square, further crops are "
                "random squares of 35-65% of the short side; Lanczos to "
                f"{a.size}x{a.size}; EXIF orientation applied).\n\n"
                "Nothing here was made by the project. Licences are those of each package's "
                "debian/copyright (skimage images: the docstrings of skimage/data/_fetchers.py).\n\n"
                "| package | version | .deb sha256 | licence |\n| --- | --- | --- | --- |\n")
        for pkg, (ver, digest, lic) in PACKAGES.items():
            f.write(f"| {pkg} | {ver} | `{digest}` | {lic} |\n")
        f.write("\n| textures | package | path in package | source size | source sha256 (16) | author, licence |\n"
                "| --- | --- | --- | --- | --- | --- |\n")
        f.write("\n".join(rows) + "\n")
    print(f"build_textures: {arr.shape[0]} textures -> {out} ({os.path.getsize(out) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
