#!/usr/bin/env bash
# `make demo`: the whole job on the built-in data, in a few minutes on a 2-core CPU.
#   1. make the synthetic dataset (skipped when present),
#   2. train configs/quickstart.yaml on it (the trainer validates with COCO AP on the val split at the end),
#   3. print the val AP, the rendered predictions, the report and the checkpoints.
# Usage: bash Scripts/demo.sh [SWIFTPOSE_BINARY] [OUTPUT_DIR]   (make demo passes .build/release/swiftpose demo-output)
set -euo pipefail
BIN=${1:-.build/release/swiftpose}
OUT=${2:-demo-output}
CONFIG=configs/quickstart.yaml
SYNTH="$OUT/synth"
WORK="$OUT/quickstart"

if [ ! -x "$BIN" ]; then
  echo "demo: $BIN not found; build it first: swift build -c release --product swiftpose" >&2
  exit 1
fi
mkdir -p "$OUT"

if [ -f "$SYNTH/annotations/person_keypoints_train2017.json" ] && [ -f "$SYNTH/annotations/person_keypoints_val2017.json" ]; then
  echo "== synthetic data: $SYNTH (present, not rewritten)"
else
  echo "== writing the synthetic dataset to $SYNTH"
  "$BIN" synth --out "$SYNTH" --force
fi

echo "== training $CONFIG (work dir $WORK; Ctrl-C saves and prints how to resume)"
rm -rf "$WORK"
start=$(date +%s)
"$BIN" train --config "$CONFIG" --data "$SYNTH" --work-dir "$WORK" | tee "$OUT/train.log"
status=${PIPESTATUS[0]}
end=$(date +%s)
[ "$status" -eq 0 ] || exit "$status"
if grep -q "^SIGINT\|^SIGTERM" "$OUT/train.log"; then
  exit 0
fi

echo "== evaluating $WORK/best.safetensors with swiftpose eval (flip test, ground-truth boxes)"
"$BIN" eval --config "$CONFIG" --weights "$WORK/best.safetensors" --data "$SYNTH" --out "$OUT/eval" \
  --report --log "$WORK/log.jsonl"
echo "== predicting on three val images with swiftpose predict (whole image as the person box)"
images=()
for f in $(ls "$SYNTH/val2017" | head -3); do images+=(--image "$SYNTH/val2017/$f"); done
"$BIN" predict --model "$(awk '/^  name:/ {print $2; exit}' "$CONFIG")" --weights "$WORK/best.safetensors" \
  --input-size 96x128 "${images[@]}" --out "$OUT/predict"

echo
echo "== done in $((end - start)) s of training"
ap=$(grep -o 'val AP [0-9.]*' "$OUT/train.log" | tail -1 || true)
if [ -n "$ap" ]; then
  echo "final $ap on $SYNTH/val2017 (ground-truth boxes, flip test); all stats: $WORK/val_metrics.json"
else
  echo "no validation ran (no val split?): see $WORK/log.jsonl for the training loss"
fi
echo "outputs:"
echo "  report (stats, loss/AP curves, predictions): $WORK/report.html"
echo "  rendered predictions:                        $WORK/predictions/"
echo "  COCO results json:                           $WORK/val_results.json"
echo "  checkpoints:                                 $WORK/latest.safetensors, $WORK/best.safetensors"
echo "  training log (JSONL):                        $WORK/log.jsonl"
echo "  swiftpose eval outputs:                      $OUT/eval/{metrics.json,results.json,report.html}"
echo "  swiftpose predict outputs:                   $OUT/predict/{keypoints.json,*.jpg}"
