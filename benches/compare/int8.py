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


def strip_output_sigmoids(onnx_path):
    """Removes the score heads' Sigmoid nodes (followed only by Reshape/Transpose up to a graph
    output), so the outputs are the score logits and the decoder applies the sigmoid
    (`score_activation = "sigmoid"`): the float Sigmoid is the one op of the int8 graph whose
    result differs between x86_64 and aarch64 kernels."""
    import onnx
    model = onnx.load(str(onnx_path))
    graph = model.graph
    outputs = {o.name for o in graph.output}
    for node in [n for n in graph.node if n.op_type == "Sigmoid"]:
        logits, scores = node.input[0], node.output[0]
        # Only layout ops may lie between the sigmoid and the output it feeds.
        frontier = [scores]
        while frontier:
            t = frontier.pop()
            for user in (n for n in graph.node if t in n.input):
                assert user.op_type in ("Reshape", "Transpose"), f"{scores} feeds {user.op_type}"
                frontier.append(user.output[0])
            assert t in outputs or any(t in n.input for n in graph.node), f"{t} is unused"
        if scores in outputs:
            for n in graph.node:
                n.output[:] = [scores if o == logits else o for o in n.output]
        else:
            for n in graph.node:
                n.input[:] = [logits if i == scores else i for i in n.input]
        for v in [v for v in graph.value_info if v.name in (logits, scores)]:
            graph.value_info.remove(v)
        graph.node.remove(node)
    onnx.save(model, str(onnx_path))


def quantise(float_dir, out_dir, tmp):
    """Writes the int8 student as a model folder: `model.onnx` (QOperator, output sigmoids
    moved to the decoder) and `model.toml` (the float student's manifest with the new name,
    hash and score activation; no `[metrics]` or `[monitoring]`, which were measured for the
    float student). Returns the manifest path and the number of calibration images."""
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
    strip_output_sigmoids(onnx_path)
    import hashlib
    digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    text = (float_dir / "model.toml").read_text()
    text = re.sub(r'(?m)^sha256 = "[0-9a-f]+"', f'sha256 = "{digest}"', text)
    text = re.sub(r'(?m)^name = "([^"]+)"', r'name = "\1-int8"', text, count=1)
    text = re.sub(r'(?m)^score_activation = "none"', 'score_activation = "sigmoid"', text)
    text = re.sub(r'(?m)^source = "([^"]*)"',
                  r'source = "\1; quantised to int8 after training by benches/compare/int8.py '
                  r'(onnxruntime quantize_static, QOperator)"', text, count=1)
    # Sections measured for the float student do not describe this one.
    text = re.sub(r'(?ms)^\[(metrics|monitoring)\]\n.*?(?=^\[|\Z)', "", text).rstrip() + "\n"
    (out_dir / "model.toml").write_text(text)
    return out_dir / "model.toml", len(feeds)


CROSS_IMAGES = [
    "sensors/testdata/kitti/object/image_2/000000.png",
    "sensors/testdata/kitti/object/image_2/000001.png",
    "sensors/testdata/pandaset/seq002-36-55/camera/front_camera/50.jpg",
    "sensors/testdata/kitti/demo-000008/000008.png",
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


def measure(float_dir, int8_dir=None, runs=100, rounds=5, pandaset=None):
    """Everything the report and the card need, as a dict. `int8_dir`: a folder written by
    `quantise` (default: quantise into a temporary folder)."""
    with tempfile.TemporaryDirectory() as tmp:
        n_calib = len(calibration_images())
        if int8_dir is None:
            int8_dir = Path(tmp) / "int8"
            quantise(float_dir, int8_dir, tmp)
        int8_manifest = int8_dir / "model.toml"
        times = {"float": [], "int8": []}
        per_round = max(1, runs // rounds)
        for _ in range(rounds):
            times["float"] += tract(float_dir / "model.toml", per_round)["runs_ms"]
            times["int8"] += tract(int8_manifest, per_round)["runs_ms"]
        plan = tract(int8_manifest, 20, per_node=True)["per_op"]
        ap = heldout_ap(pandaset, [float_dir / "model.toml", int8_manifest], tmp) if pandaset else None
        arch = cross_arch({"float": float_dir / "model.toml", "int8": int8_manifest}, tmp)
        agree = detection_agreement(float_dir / "model.toml", int8_manifest, tmp)
        size = (int8_dir / "model.onnx").stat().st_size
    pct = lambda v, p: sorted(v)[max(0, int(np.ceil(p / 100 * len(v))) - 1)]  # noqa: E731
    return {
        "calibration_images": n_calib,
        "float_ms": {"median": statistics.median(times["float"]), "p99": pct(times["float"], 99)},
        "int8_ms": {"median": statistics.median(times["int8"]), "p99": pct(times["int8"], 99)},
        "int8_plan": plan,
        "detection_agreement": agree,
        "heldout_ap50": ap,
        "cross_arch_native_max_abs_diff": arch,
        "int8_onnx_bytes": size,
        "float_onnx_bytes": (float_dir / "model.onnx").stat().st_size,
    }


def detection_agreement(float_manifest, int8_manifest, tmp):
    """`kestrel detect` (operating point) of both students on CROSS_IMAGES: how many float
    detections the int8 student reproduces (same class, IoU >= 0.5), and the counts."""
    dets = []
    for m in (float_manifest, int8_manifest):
        out = subprocess.run([binary("kestrel"), "detect", "--json", "--model", str(m)] + CROSS_IMAGES,
                             cwd=REPO, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        dets.append([json.loads(line) for line in out.stdout.splitlines()])

    def iou(a, b):
        w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
        return w * h / u if u > 0 else 0.0

    f, q = dets
    kept = sum(any(e["image"] == d["image"] and e["class"] == d["class"] and iou(e["box"], d["box"]) >= 0.5
                   for e in q) for d in f)
    return {"float": len(f), "int8": len(q), "float_reproduced": kept}


def section(w, r, float_name):
    """Markdown for RESULTS.md."""
    f, q = r["float_ms"], r["int8_ms"]
    w("## int8 student (issue 19 item 3)")
    w("")
    w(f"`benches/compare/int8.py`: `{float_name}` quantised after training (shipped as `models/zoo/{float_name}-int8`, card there; onnxruntime `quantize_static`, QOperator: "
      f"15 QLinearConv with ReLU folded, int8 weights per tensor, uint8 activations; the score sigmoid moved from the graph to the decoder), calibrated on {r['calibration_images']} "
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
    a = r["detection_agreement"]
    w(f"- detections at the operating point (`kestrel detect`, KITTI 000000, 000001, 000008 and held-out PandaSet front camera frame 50): "
      f"float {a['float']}, int8 {a['int8']}; the int8 student reproduces {a['float_reproduced']} of the float student's (same class, IoU >= 0.5)")
    arch = r["cross_arch_native_max_abs_diff"]
    if arch is None:
        w("- x86_64 vs aarch64 (native kernels): not measured (no aarch64 `kestrel` binary; `.ci/aarch64-replay-check` builds it)")
    else:
        w("- x86_64 vs aarch64 under qemu (cortex-a72), each CPU's native kernels, raw outputs of `kestrel infer` on the same four images, "
          "largest difference: "
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


def card(r, float_name, int8_name, command):
    """MODEL_CARD.md of the shipped int8 student, from the measurements."""
    lines = []
    w = lines.append
    w(f"# {int8_name} — model card")
    w("")
    w(f"`{float_name}` quantised to int8 after training: the same network, weights and classes, for ARM boards. "
      f"Generated by `{command}` from its own measurements (no hand-written numbers).")
    w("")
    w("## What it is")
    w("")
    w(f"- Source: `../{float_name}/model.onnx` (its card describes training data, teacher, licences and limits; all of it applies here).")
    w("- Quantisation: onnxruntime's `quantize_static` (QOperator format): every Conv a QLinearConv with int8 weights "
      "(one scale per tensor) and uint8 activations, each ReLU folded into its conv's output range; one QuantizeLinear on the "
      "input, a DequantizeLinear per head output. The score heads' Sigmoid is taken out of the graph and applied by the decoder "
      "(`score_activation = \"sigmoid\"`), so every op of the network is integer arithmetic up to the dequantised outputs.")
    w(f"- Calibration (activation ranges, min/max): {r['calibration_images']} training images — the shipped PandaSet frames 36-39 "
      "(six cameras; frames before 40 are training frames) and the dash-cam stills — prepared by `tract-latency` exactly as the runtime prepares camera frames.")
    w("- Monitors: `input_reference.toml` recorded for this model by `kestrel-distill input-reference` (same command as the float student's).")
    w("")
    w("## Cost (tract, one thread, this machine)")
    w("")
    f, q = r["float_ms"], r["int8_ms"]
    w("| student | network ms median | p99 | ONNX bytes |")
    w("|---|---:|---:|---:|")
    w(f"| {float_name} | {f['median']:.2f} | {f['p99']:.2f} | {r['float_onnx_bytes']} |")
    w(f"| {int8_name} | {q['median']:.2f} | {q['p99']:.2f} | {r['int8_onnx_bytes']} |")
    w("")
    w("Where tract spends the int8 network's time: " + ", ".join(
        f"{o['op']} {o['ms_per_run']:.2f} ms" for o in r["int8_plan"]["ops"] if o["ms_per_run"] >= 0.05) + ".")
    w("")
    w("## Accuracy against the float student and the teacher")
    w("")
    ap = r["heldout_ap50"]
    if ap:
        names = list(ap)
        classes = [c for c in ap[names[0]]["classes"] if ap[names[0]]["classes"][c]["labels"] > 0]
        w("AP50 against human labels, held-out PandaSet frames 40-55 (six cameras, `kestrel-distill evaluate`; "
          "labels per class: " + ", ".join(f"{c} {ap[names[0]]['classes'][c]['labels']}" for c in classes) + "):")
        w("")
        w("| detector | " + " | ".join(classes) + " |")
        w("|---|" + "---:|" * len(classes))
        for n in names:
            cells = ["-" if ap[n]["classes"][c]["ap"] is None else f"{ap[n]['classes'][c]['ap']:.3f}" for c in classes]
            w(f"| {n} | " + " | ".join(cells) + " |")
        w("")
        drops = [ap[float_name]["classes"][c]["ap"] - ap[int8_name]["classes"][c]["ap"] for c in classes
                 if ap[float_name]["classes"][c]["ap"] is not None and ap[int8_name]["classes"][c]["ap"] is not None]
        worst = max(drops) if drops else 0.0
        w(f"Stated bound: an int8 student may lose at most 0.01 AP50 per class against its float student on these frames. "
          f"Largest loss measured: {worst:+.3f} -> **{'within' if worst <= 0.01 else 'outside'} the bound**.")
        w("")
    a = r["detection_agreement"]
    w(f"At the operating point (`kestrel detect` on KITTI 000000, 000001, 000008 and PandaSet front camera frame 50): "
      f"the float student finds {a['float']} objects, the int8 student {a['int8']}; it reproduces {a['float_reproduced']} of the "
      "float student's (same class, IoU >= 0.5).")
    w("")
    w("## Across CPU architectures")
    w("")
    arch = r["cross_arch_native_max_abs_diff"]
    if arch is None:
        w("Not measured in this run (needs the aarch64 `kestrel` of `.ci/aarch64-replay-check` and qemu-user).")
    else:
        w("Raw network outputs (`kestrel infer`) on the same four images, x86_64 (this machine's native kernels) vs aarch64 "
          "under qemu-user (`-cpu cortex-a72`, NEON native kernels), largest absolute difference: "
          + ", ".join(f"{'float' if k == 'float' else 'int8'} {'**0 (bit-identical)**' if v == 0 else f'{v:.2e}'}" for k, v in arch.items())
          + ". `.ci/aarch64-replay-check` enforces the int8 student's identity with native kernels on every CI run "
          "(raw outputs and replays); the float student needs `--reference-kernels` (2x slower) for that.")
    w("")
    w("## Use and limits")
    w("")
    w(f"- `kestrel run|replay|detect --model models/zoo/{int8_name}/model.toml`. Not the default on any machine yet: "
      "it is faster in tract on x86-64 (table above), but its speed on an ARM board has not been measured (qemu cannot time it).")
    w("- Same limits as the float student (its card): one PandaSet sequence, few people and cyclists; it inherits the float student's misses.")
    w("- Per-tensor weight scales; per-channel scales or quantisation-aware training were not tried.")
    w("")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pandaset", help="PandaSet 002 folder for AP50 on held-out frames (and, with --out, the input reference)")
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--out", help="write the int8 student as a model folder here, with its input reference and card")
    args = ap.parse_args()
    student = re.search(r'pub const DEFAULT_STUDENT: &str = "([^"]+)";',
                        (REPO / "models/src/zoo.rs").read_text()).group(1)
    float_dir = REPO / "models/zoo" / student
    out = Path(args.out).resolve() if args.out else None
    if out:
        with tempfile.TemporaryDirectory() as tmp:
            quantise(float_dir, out, tmp)
        if args.pandaset:
            subprocess.run([binary("kestrel-distill"), "input-reference", "--model", str(out / "model.toml"),
                            "--pandaset", args.pandaset], cwd=REPO, check=True)
    r = measure(float_dir, int8_dir=out, runs=args.runs, pandaset=args.pandaset)
    if out:
        command = ("python benches/compare/int8.py --out " + str(out.relative_to(REPO))
                   + (" --pandaset " + args.pandaset if args.pandaset else ""))
        (out / "MODEL_CARD.md").write_text(card(r, student, f"{student}-int8", command))
        (out / "metrics.json").write_text(json.dumps(r, indent=1) + "\n")
    lines = []
    section(lines.append, r, student)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
