"""int8 student (issue 19 item 3): post-training static quantisation of the shipped student and
its cost and accuracy next to the float student. Called by compare.py (one run of RESULTS.md);
runnable alone for a quick look:

    /tmp/kestrel-compare/bin/python benches/compare/int8.py [--pandaset ../shared/data/pandaset-002]

How: onnxruntime's quantisation tool (`quantize_static`, PyPI `onnxruntime`) writes a QOperator
graph: every Conv becomes a QLinearConv (int8 weights, one scale per tensor; uint8 activations)
with its ReLU folded into the output range, one QuantizeLinear on the input and a
DequantizeLinear per head output. Activation ranges are calibrated (min/max) on the input tensors
`tract-latency` prepares exactly as the runtime does, from training images only: the shipped
PandaSet frames before 40 (six cameras) and the dash-cam stills. (The QDQ format is not used:
tract 0.23 runs a QDQ graph in float, with the quantise/dequantise pairs as extra work.)

Measured: tract latency (one thread, rounds alternating with the float student), tract's
per-node time of the int8 plan, the largest output difference between the float and int8
students on a held-out frame, with `--pandaset` AP50 against human labels on the held-out
PandaSet frames for both (`kestrel-distill evaluate`), and, when the aarch64 `kestrel` binary of
`.ci/aarch64-replay-check` and qemu-user are present, whether the int8 student's raw outputs
(`kestrel infer`, native kernels on both CPUs) are bit-identical on x86_64 and aarch64.
"""

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SLICE = REPO / "sensors/testdata/pandaset/seq002-36-55/camera"
HELDOUT_IMAGE = SLICE / "front_camera/50.jpg"


def binary(name):
    import os
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return str(target / "debug" / name)


def tract(manifest, runs, dump=None, image=None, per_node=False):
    cmd = [binary("tract-latency"), "--manifest", str(manifest), "--runs", str(runs)]
    if dump:
        cmd += ["--dump-input", str(dump)]
    if image:
        cmd += ["--image", str(image)]
    if per_node:
        cmd += ["--per-node"]
    out = subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.PIPE)
    return json.loads(out.stdout)


def calibration_images():
    frames = sorted(p for p in SLICE.glob("*/*.jpg") if int(p.stem) < 40)
    stills = sorted((REPO / "models/data/dashcam/stills").glob("*.jpg"))
    return frames + stills


def input_tensor(manifest, image, tmp):
    path = Path(tmp) / "input.f32"
    r = tract(manifest, 1, dump=path, image=image)
    return r["input_name"], np.fromfile(path, dtype="<f4").reshape(r["input_shape"])


def quantise(float_dir, out_dir, tmp):
    """Writes the int8 student as a model folder (ONNX + manifest with its hash)."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)
    manifest = float_dir / "model.toml"
    feeds = [dict([input_tensor(manifest, img, tmp)]) for img in calibration_images()]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(feeds)

        def get_next(self):
            return next(self.it, None)

    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / "model.onnx"
    quantize_static(str(float_dir / "model.onnx"), str(onnx_path), Reader(),
                    quant_format=QuantFormat.QOperator, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8, per_channel=False,
                    op_types_to_quantize=["Conv", "Relu"])
    import hashlib
    digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    text = (float_dir / "model.toml").read_text()
    text = re.sub(r'(?m)^sha256 = "[0-9a-f]+"', f'sha256 = "{digest}"', text)
    text = re.sub(r'(?m)^name = "([^"]+)"', r'name = "\1-int8"', text, count=1)
    (out_dir / "model.toml").write_text(text)
    return out_dir / "model.toml", len(feeds)


def max_output_difference(float_onnx, int8_onnx, name, x):
    import onnxruntime as ort
    outs = []
    for path in (float_onnx, int8_onnx):
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        outs.append(sess.run(None, {name: x}))
    return max(float(np.abs(a - b).max()) for a, b in zip(*outs))


CROSS_IMAGES = [
    "sensors/testdata/kitti/object/image_2/000000.png",
    "sensors/testdata/kitti/object/image_2/000001.png",
    "sensors/testdata/pandaset/seq002-36-55/camera/front_camera/50.jpg",
]


def cross_arch(manifests, tmp):
    """Per named manifest ({name: path}): max |x86_64 - aarch64| over the raw outputs of `kestrel infer` on
    CROSS_IMAGES with each CPU's native kernels (0.0 = bit-identical); None without the aarch64
    binary or qemu."""
    arm = Path(binary("kestrel").replace("/debug/", "/aarch64-unknown-linux-gnu/debug/"))
    if not arm.exists() or not shutil.which("qemu-aarch64-static"):
        return None
    out = {}
    for name, m in manifests.items():
        files = []
        for arch, cmd in (("x86", [binary("kestrel")]),
                          ("arm", ["qemu-aarch64-static", "-cpu", "cortex-a72", "-L",
                                   "/usr/aarch64-linux-gnu", str(arm), "--log", "error"])):
            path = Path(tmp) / f"{arch}-{name}.jsonl"
            with open(path, "w") as f:
                subprocess.run(cmd + ["infer", "--model", str(m)] + CROSS_IMAGES, cwd=REPO,
                               check=True, stdout=f)
            files.append(path)
        a, b = ([json.loads(line) for line in open(p)] for p in files)
        diff = 0.0
        for la, lb in zip(a, b):
            for key in la:
                if isinstance(la[key], list):
                    va = np.asarray(la[key], dtype=np.float64).ravel()
                    vb = np.asarray(lb[key], dtype=np.float64).ravel()
                    diff = max(diff, float(np.abs(va - vb).max()) if va.size else 0.0)
        out[name] = diff
    return out


def heldout_ap(pandaset, manifests, tmp):
    """AP50 per class on the held-out PandaSet frames, per student (kestrel-distill evaluate)."""
    path = Path(tmp) / "ap.json"
    cmd = [binary("kestrel-distill"), "evaluate", "--pandaset", str(pandaset), "--split", "heldout",
           "--no-ensemble", "--json", str(path)]
    for m in manifests:
        cmd += ["--student", str(m)]
    subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return json.loads(path.read_text())


def measure(float_dir, runs=100, rounds=5, pandaset=None):
    """Everything the report needs, as a dict."""
    with tempfile.TemporaryDirectory() as tmp:
        int8_dir = Path(tmp) / "int8"
        int8_manifest, n_calib = quantise(float_dir, int8_dir, tmp)
        times = {"float": [], "int8": []}
        per_round = max(1, runs // rounds)
        for _ in range(rounds):
            times["float"] += tract(float_dir / "model.toml", per_round)["runs_ms"]
            times["int8"] += tract(int8_manifest, per_round)["runs_ms"]
        plan = tract(int8_manifest, 20, per_node=True)["per_op"]
        name, x = input_tensor(float_dir / "model.toml", HELDOUT_IMAGE, tmp)
        diff = max_output_difference(float_dir / "model.onnx", int8_dir / "model.onnx", name, x)
        ap = heldout_ap(pandaset, [float_dir / "model.toml", int8_manifest], tmp) if pandaset else None
        arch = cross_arch({"float": float_dir / "model.toml", "int8": int8_manifest}, tmp)
        size = (int8_dir / "model.onnx").stat().st_size
    pct = lambda v, p: sorted(v)[max(0, int(np.ceil(p / 100 * len(v))) - 1)]  # noqa: E731
    return {
        "calibration_images": n_calib,
        "float_ms": {"median": statistics.median(times["float"]), "p99": pct(times["float"], 99)},
        "int8_ms": {"median": statistics.median(times["int8"]), "p99": pct(times["int8"], 99)},
        "int8_plan": plan,
        "max_abs_output_diff_float_vs_int8": diff,
        "heldout_ap50": ap,
        "cross_arch_native_max_abs_diff": arch,
        "int8_onnx_bytes": size,
        "float_onnx_bytes": (float_dir / "model.onnx").stat().st_size,
    }


def section(w, r, float_name):
    """Markdown for RESULTS.md."""
    f, q = r["float_ms"], r["int8_ms"]
    w("## int8 student (issue 19 item 3)")
    w("")
    w(f"`benches/compare/int8.py`: `{float_name}` quantised after training (onnxruntime `quantize_static`, QOperator: "
      f"15 QLinearConv with ReLU folded, int8 weights per tensor, uint8 activations), calibrated on {r['calibration_images']} "
      "training images (shipped PandaSet frames 36-39, six cameras, and the dash-cam stills) prepared by `tract-latency` as the runtime prepares them.")
    w("")
    w("| student | tract ms median | p99 | ONNX bytes |")
    w("|---|---:|---:|---:|")
    w(f"| float | {f['median']:.2f} | {f['p99']:.2f} | {r['float_onnx_bytes']} |")
    w(f"| int8 | {q['median']:.2f} | {q['p99']:.2f} | {r['int8_onnx_bytes']} |")
    w("")
    w(f"- **int8 / float in tract (medians): {q['median'] / f['median']:.2f}**")
    w("- where tract spends the int8 student's time: " + ", ".join(
        f"{o['op']} {o['ms_per_run']:.2f} ms ({o['nodes']})" for o in r["int8_plan"]["ops"] if o["ms_per_run"] >= 0.05))
    w(f"- largest output difference, float vs int8 (onnxruntime, held-out PandaSet front camera frame 50): {r['max_abs_output_diff_float_vs_int8']:.3f}")
    arch = r["cross_arch_native_max_abs_diff"]
    if arch is None:
        w("- x86_64 vs aarch64 (native kernels): not measured (no aarch64 `kestrel` binary; `.ci/aarch64-replay-check` builds it)")
    else:
        w("- x86_64 vs aarch64 under qemu (cortex-a72), each CPU's native kernels, raw outputs of `kestrel infer` on KITTI 000000, "
          "000001 and PandaSet front camera frame 50, largest difference: "
          + ", ".join(f"{k} {'**0 (bit-identical)**' if v == 0 else f'{v:.2e}'}" for k, v in arch.items()))
    ap = r["heldout_ap50"]
    if ap:
        names = list(ap)
        classes = [c for c in ap[names[0]]["classes"] if ap[names[0]]["classes"][c]["labels"] > 0]
        w("")
        w("AP50 against human labels, held-out PandaSet frames 40-55 (six cameras, `kestrel-distill evaluate`):")
        w("")
        w("| student | " + " | ".join(classes) + " |")
        w("|---|" + "---:|" * len(classes))
        for n in names:
            cells = []
            for c in classes:
                v = ap[n]["classes"][c]["ap"]
                cells.append("-" if v is None else f"{v:.3f}")
            w(f"| {n} | " + " | ".join(cells) + " |")
    w("")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pandaset", help="PandaSet 002 folder for AP50 on held-out frames")
    ap.add_argument("--runs", type=int, default=100)
    args = ap.parse_args()
    student = re.search(r'pub const DEFAULT_STUDENT: &str = "([^"]+)";',
                        (REPO / "models/src/zoo.rs").read_text()).group(1)
    r = measure(REPO / "models/zoo" / student, runs=args.runs, pandaset=args.pandaset)
    lines = []
    section(lines.append, r, student)
    print("\n".join(lines))
    json.dump(r, sys.stderr, indent=1)


if __name__ == "__main__":
    main()
