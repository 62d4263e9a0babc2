#!/usr/bin/env python3
"""Makes the shipped PandaSet slice (sensors/testdata/pandaset/seq002-36-55) from the full
sequence in the shared data folder. Not run by CI; the slice is committed.

    pip install numpy pillow python-lzf
    python3 sensors/testdata/pandaset/make_slice.py ../shared/data/pandaset-002

What it keeps and changes (see ../README.md for the attribution):
- frames 36-55 (2 s of the vehicle pulling away, 2.5 -> 4.9 m/s), the folder layout unchanged;
- sequence.json: whole (every pose and timestamp), except that front_camera's intrinsics are
  scaled by 0.5 with image_scale 0.5, because its images are resized;
- lidar/NN.pcd: the same header fields minus the per-point time `t` (the world-frame sweeps
  are already motion-compensated, Kestrel does not read it), points farther than 70 m
  horizontally from the LiDAR dropped (4 %), coordinates rounded to 5 mm (the Pandar64 ranges
  to +-2 cm), stored PCL `binary_compressed` (LZF, field by field): 0.86 MB instead of 1.8 MB;
- camera/front_camera: resized 1920x1080 -> 960x540 (Lanczos, JPEG quality 90), like the
  dataset's own other five cameras, whose files are copied unchanged;
- cuboids: copied unchanged.
"""

import json
import re
import shutil
import sys
from pathlib import Path

import lzf
import numpy as np
from PIL import Image

FRAMES = range(36, 56)
MAX_RANGE_M = 70.0
QUANTUM_M = 0.005
OUT = Path(__file__).resolve().parent / "seq002-36-55"


def slice_sweep(src: Path, dst: Path) -> None:
    b = src.read_bytes()
    start = b.index(b"DATA binary\n") + len(b"DATA binary\n")
    dt = np.dtype([("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("intensity", "u1"), ("t", "<f4")])
    pts = np.frombuffer(b[start:], dtype=dt)
    viewpoint = [float(v) for v in re.search(rb"\nVIEWPOINT (.*)\n", b).group(1).split()]
    keep = np.hypot(pts["x"] - viewpoint[0], pts["y"] - viewpoint[1]) <= MAX_RANGE_M
    pts = pts[keep]
    cols = []
    for k in ("x", "y", "z"):
        q = np.round(pts[k].astype(np.float64) / QUANTUM_M) * QUANTUM_M
        cols.append(q.astype("<f4").tobytes())
    cols.append(pts["intensity"].astype("u1").tobytes())
    raw = b"".join(cols)
    packed = lzf.compress(raw, len(raw))
    n = len(pts)
    header = (
        "# .PCD v0.7 - PandaSet 002 Pandar64 sweep, world frame; VIEWPOINT = LiDAR pose (tx ty tz qw qx qy qz)\n"
        f"# Kestrel test slice of {src.name}: t dropped, points beyond {MAX_RANGE_M:.0f} m dropped, xyz rounded to {QUANTUM_M * 1000:.0f} mm\n"
        "VERSION 0.7\nFIELDS x y z intensity\nSIZE 4 4 4 1\nTYPE F F F U\nCOUNT 1 1 1 1\n"
        f"WIDTH {n}\nHEIGHT 1\nVIEWPOINT {' '.join(repr(v) for v in viewpoint)}\nPOINTS {n}\n"
        "DATA binary_compressed\n"
    ).encode()
    dst.write_bytes(header + len(packed).to_bytes(4, "little") + len(raw).to_bytes(4, "little") + packed)


def main(src: Path) -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    for d in ("lidar", "cuboids"):
        (OUT / d).mkdir(parents=True)
    seq = json.loads((src / "sequence.json").read_text())
    front = seq["cameras"]["front_camera"]
    front["image_scale"] = 0.5
    front["intrinsics"] = {k: v * 0.5 for k, v in front["intrinsics"].items()}
    (OUT / "sequence.json").write_text(json.dumps(seq, indent=1) + "\n")
    for f in FRAMES:
        nn = f"{f:02d}"
        slice_sweep(src / "lidar" / f"{nn}.pcd", OUT / "lidar" / f"{nn}.pcd")
        shutil.copy(src / "cuboids" / f"{nn}.jsonl", OUT / "cuboids" / f"{nn}.jsonl")
        for cam in sorted(p.name for p in (src / "camera").iterdir()):
            (OUT / "camera" / cam).mkdir(parents=True, exist_ok=True)
            image = src / "camera" / cam / f"{nn}.jpg"
            target = OUT / "camera" / cam / f"{nn}.jpg"
            if cam == "front_camera":
                Image.open(image).resize((960, 540), Image.LANCZOS).save(target, quality=90)
            else:
                shutil.copy(image, target)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
