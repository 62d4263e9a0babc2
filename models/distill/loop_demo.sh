#!/bin/sh
# The student watched by its teacher, end to end on real data (issue 18, item 4):
#
# 1. replay the student's own training drive (PandaSet 002 frames 00-39) with a domain shift
#    (default: dusk) through `kestrel replay` with the model monitors on: the drift monitor
#    flags it, and `--mine` keeps the flagged camera frames and those the shadow teacher saw
#    the student miss (rate-limited, with the reason) in a mining log (the teacher's 12-frame
#    agreement window does not fill in these 4 seconds at its default period);
# 2. `kestrel-distill adapt` fine-tunes the student from its own weights on the mined frames
#    plus a rehearsal of its training images and measures agreement with the teacher before
#    and after on held-out frames it never saw, as they are and with the same shift, in two
#    blocks: validation (the dash-cam clip test_video's held-out frames, PandaSet frames
#    40-47), on which the settings were chosen, and report (the other held-out dash-cam
#    frames, PandaSet frames 48-55), which alone decides the verdict.
#
# Writes models/zoo/kestrel-student-v3/adaptation/{replay.txt, ADAPTATION.md,
# adaptation.json}; the adapted model goes to $WORK/adapted (default /tmp/kestrel-loop; not
# shipped). About 12 minutes on 2 cores. Needs the PandaSet sequence at
# ../shared/data/pandaset-002 (or $PANDASET). Deterministic: a second run gives the same
# numbers.
#
#   sh models/distill/loop_demo.sh            # SHIFT=defocus STEPS=300 WORK=/tmp/loop ...
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PANDASET=${PANDASET:-$ROOT/../shared/data/pandaset-002}
SHIFT=${SHIFT:-dusk}
STEPS=${STEPS:-300}
WORK=${WORK:-/tmp/kestrel-loop}
REPORT=$ROOT/models/zoo/kestrel-student-v3/adaptation
cd "$ROOT"

# The training drive as a sequence folder of its own (links into the dataset).
SEQ=$WORK/seq002-00-39
rm -rf "$SEQ"
mkdir -p "$SEQ/lidar" "$SEQ/cuboids"
ln -s "$PANDASET/sequence.json" "$SEQ/sequence.json"
for cam in "$PANDASET"/camera/*; do mkdir -p "$SEQ/camera/$(basename "$cam")"; done
for i in $(seq -w 0 39); do
  ln -s "$PANDASET/lidar/$i.pcd" "$SEQ/lidar/$i.pcd"
  ln -s "$PANDASET/cuboids/$i.jsonl" "$SEQ/cuboids/$i.jsonl"
  for cam in "$PANDASET"/camera/*; do
    ln -s "$cam/$i.jpg" "$SEQ/camera/$(basename "$cam")/$i.jpg"
  done
done

mkdir -p "$REPORT"
cargo run --bin kestrel -- replay "$SEQ" --shift "$SHIFT" --mine "$WORK/mined.mcap" --quiet \
  | tee "$REPORT/replay.txt"
cargo run --bin kestrel-distill -- adapt --from-log "$WORK/mined.mcap" --eval-shift "$SHIFT" \
  --steps "$STEPS" --out "$WORK/adapted" --report "$REPORT"
