#!/usr/bin/env bash
# Re-creates the frames in this folder from the MIT-licensed originals (dev time only; nothing
# at build or run time calls this). Needs an ffmpeg binary, e.g. from the PyPI package
# `imageio-ffmpeg`:  pip install imageio-ffmpeg
#   FFMPEG=$(python -c "import imageio_ffmpeg;print(imageio_ffmpeg.get_ffmpeg_exe())")
# Usage: FFMPEG=... ./extract_frames.sh /path/to/shared/data/dashcam
set -euo pipefail
SRC=${1:?source folder with test_video.mp4, solidWhiteRight.mp4 and the stills}
FFMPEG=${FFMPEG:-ffmpeg}
OUT=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT/test_video" "$OUT/solid_white_right" "$OUT/stills"
# every frame of the 38-frame 1280x720 clip, 640 px wide, JPEG quality scale 3 (~q90)
"$FFMPEG" -v error -y -i "$SRC/test_video.mp4" -vf scale=640:-2 -q:v 3 -start_number 0 "$OUT/test_video/%03d.jpg"
# every 2nd frame of the 221-frame 960x540 clip (neighbouring frames are near duplicates)
"$FFMPEG" -v error -y -i "$SRC/solidWhiteRight.mp4" -vf "select=not(mod(n\,2)),scale=640:-2" -fps_mode vfr -q:v 3 -start_number 0 "$OUT/solid_white_right/%03d.jpg"
for f in "$SRC"/*.jpg "$SRC"/*.png; do
  b=$(basename "${f%.*}")
  "$FFMPEG" -v error -y -i "$f" -vf scale=640:-2 -q:v 3 "$OUT/stills/$b.jpg"
done
