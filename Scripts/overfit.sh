#!/usr/bin/env bash
# `make overfit`: trains configs/overfit.yaml (res18 at 128x96, no augmentation) on the first 16 people of
# coco-small and checks that the training loss falls at least 10x (first vs last logged step).
# Usage: bash Scripts/overfit.sh [SWIFTPOSE_BINARY] [COCO_SMALL_ROOT]
set -euo pipefail
BIN=${1:-.build/release/swiftpose}
COCO=${2:-../shared/data/coco-small}
WORK=work_dirs/overfit
DATA="$WORK/data"
[ -f "$COCO/annotations/person_keypoints_train2017.json" ] || { echo "overfit: no coco-small at $COCO" >&2; exit 1; }
rm -rf "$WORK"
mkdir -p "$DATA/annotations"
ln -s "$(cd "$COCO" && pwd)/train2017" "$DATA/train2017"
# The first 16 usable people (not crowd, some keypoints labelled, box of positive size) and their images.
python3 - "$COCO/annotations/person_keypoints_train2017.json" "$DATA/annotations/person_keypoints_train2017.json" <<'PY'
import json, sys
src, dst = sys.argv[1], sys.argv[2]
coco = json.load(open(src))
chosen, images = [], set()
for a in sorted(coco["annotations"], key=lambda a: (a["image_id"], a["id"])):
    if a.get("iscrowd", 0) == 0 and a.get("num_keypoints", 0) >= 5 and a["bbox"][2] > 8 and a["bbox"][3] > 8:
        chosen.append(a); images.add(a["image_id"])
    if len(chosen) == 16:
        break
out = {k: v for k, v in coco.items() if k not in ("images", "annotations")}
out["images"] = [i for i in coco["images"] if i["id"] in images]
# Other people in those images would join the training set: keep only the chosen ones. Each is listed
# 8 times (new ids) so an epoch is 8 steps of 16 and checkpoints are not written after every step.
out["annotations"] = [dict(a, id=a["id"] * 10 + r) for r in range(8) for a in chosen]
json.dump(out, open(dst, "w"))
print(f"overfit: {len(chosen)} people in {len(images)} images, each listed 8 times")
PY
"$BIN" train --config configs/overfit.yaml --work-dir "$WORK" | tee "$WORK/train.out"
python3 - "$WORK/log.jsonl" <<'PY'
import json, sys
losses = [r["loss"] for r in map(json.loads, open(sys.argv[1])) if r["type"] == "train"]
ratio = losses[0] / losses[-1]
print(f"overfit: loss {losses[0]:.6g} (step 1) -> {losses[-1]:.6g} (step {len(losses)}): {ratio:.1f}x lower")
sys.exit(0 if ratio >= 10 else 1)
PY
