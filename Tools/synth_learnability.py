#!/usr/bin/env python3
"""Checks that `swiftpose synth` data is learnable: trains a tiny top-down heatmap model on CPU for a few
minutes with PyTorch and reports COCO keypoint AP (pycocotools) on the val split with ground-truth boxes.

Dev-only (CI never runs it). Usage:
    swiftpose synth --out /tmp/synth
    python3 Tools/synth_learnability.py /tmp/synth [--minutes 4] [--threads 2]
Needs torch (CPU), numpy, opencv-python, pycocotools. Recipe in the SimpleBaseline spirit, shrunk: crops
128x96 (h x w) from the GT box enlarged 1.25x at aspect 3:4, MSRA Gaussian targets sigma 2 at 32x24,
random flip, Adam 1e-3, argmax + quarter-offset decoding, score = mean of joint maxima.
"""
import argparse, json, math, os, sys, time

import cv2
import numpy as np
import torch
import torch.nn as nn
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

H, W, HH, HW = 128, 96, 32, 24
FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]
MEAN, STD = np.array([0.485, 0.456, 0.406]) * 255, np.array([0.229, 0.224, 0.225]) * 255


def box_transform(bbox):
    """Affine matrix mapping the enlarged, aspect-fixed box onto the W x H crop."""
    x, y, w, h = bbox
    cx, cy = x + w / 2, y + h / 2
    if w > h * W / H:
        h = w * H / W
    else:
        w = h * W / H
    w, h = w * 1.25, h * 1.25
    s = W / w
    return np.array([[s, 0, W / 2 - s * cx], [0, s, H / 2 - s * cy]], np.float32)


def load(root, split, with_targets):
    coco = COCO(os.path.join(root, "annotations", f"person_keypoints_{split}2017.json"))
    crops, targets, weights, metas = [], [], [], []
    ys, xs = np.mgrid[0:HH, 0:HW]
    for img_id in coco.getImgIds():
        info = coco.loadImgs(img_id)[0]
        image = None
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=img_id, iscrowd=False)):
            if ann["num_keypoints"] == 0:
                continue
            if image is None:
                image = cv2.cvtColor(cv2.imread(os.path.join(root, f"{split}2017", info["file_name"])), cv2.COLOR_BGR2RGB)
            m = box_transform(ann["bbox"])
            crops.append(cv2.warpAffine(image, m, (W, H), flags=cv2.INTER_LINEAR))
            metas.append((img_id, m))
            if with_targets:
                k = np.array(ann["keypoints"], np.float32).reshape(17, 3)
                pts = k[:, :2] @ m[:, :2].T + m[:, 2]
                wgt = (k[:, 2] > 0).astype(np.float32)
                # Unflipped and flipped targets (the flipped crop maps x to W - 1 - x and swaps sides).
                fpts = np.stack([W - 1 - pts[:, 0], pts[:, 1]], 1)[FLIP]
                pair = []
                for p, v in ((pts, wgt), (fpts, wgt[FLIP])):
                    t = np.zeros((17, HH, HW), np.float32)
                    for j in range(17):
                        if v[j]:
                            cx, cy = p[j] / 4
                            t[j] = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * 2.0 ** 2))
                    pair.append(t)
                targets.append(np.stack(pair))
                weights.append(np.stack([wgt, wgt[FLIP]]))
    x = np.stack(crops)
    return coco, x, (np.stack(targets), np.stack(weights)) if with_targets else None, metas


def block(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def model():
    def up(cin, cout):
        return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))
    return nn.Sequential(block(3, 32, 2), block(32, 48, 2), block(48, 96, 2), block(96, 160, 2),
                         up(160, 96), up(96, 64), nn.Conv2d(64, 17, 1))


def to_tensor(x):
    return torch.from_numpy(((x - MEAN) / STD).astype(np.float32)).permute(0, 3, 1, 2).contiguous()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--minutes", type=float, default=4)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.manual_seed(0)
    np.random.seed(0)
    torch.set_num_threads(args.threads)
    t0 = time.time()
    _, xtr, (ttr, wtr), _ = load(args.root, "train", True)
    coco_val, xval, _, metas = load(args.root, "val", False)
    print(f"{len(xtr)} train crops, {len(xval)} val crops, loaded in {time.time() - t0:.0f} s", flush=True)

    net = model()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    deadline = time.time() + args.minutes * 60
    step, epoch = 0, 0
    while time.time() < deadline:
        net.train()
        order = np.random.permutation(len(xtr))
        for i in range(0, len(order) - 31, 32):
            idx = order[i:i + 32]
            flip = (np.random.rand(len(idx)) < 0.5).astype(int)
            x = xtr[idx].copy()
            x[flip == 1] = x[flip == 1][:, :, ::-1]
            t, w = ttr[idx, flip], wtr[idx, flip]
            out = net(to_tensor(x))
            wt = torch.from_numpy(w)[:, :, None, None]
            loss = (((out - torch.from_numpy(t)) * wt) ** 2).mean() * 0.5
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if time.time() > deadline:
                break
        epoch += 1
        print(f"epoch {epoch} step {step} loss {loss.item():.6f} ({time.time() - t0:.0f} s)", flush=True)

    net.eval()
    results = []
    with torch.no_grad():
        for i in range(0, len(xval), 64):
            hm = net(to_tensor(xval[i:i + 64])).numpy()
            for b in range(hm.shape[0]):
                img_id, m = metas[i + b]
                inv = cv2.invertAffineTransform(m)
                kps, scores = [], []
                for j in range(17):
                    h = hm[b, j]
                    y, x = np.unravel_index(np.argmax(h), h.shape)
                    px, py = float(x), float(y)
                    if 0 < x < HW - 1:
                        px += 0.25 * np.sign(h[y, x + 1] - h[y, x - 1])
                    if 0 < y < HH - 1:
                        py += 0.25 * np.sign(h[y + 1, x] - h[y - 1, x])
                    p = inv @ np.array([px * 4, py * 4, 1.0])
                    kps += [float(p[0]), float(p[1]), float(h[y, x])]
                    scores.append(float(h[y, x]))
                results.append({"image_id": img_id, "category_id": 1, "keypoints": kps, "score": float(np.mean(scores))})
    dets = coco_val.loadRes(results)
    ev = COCOeval(coco_val, dets, "keypoints")
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    print(f"AP {ev.stats[0]:.3f} AP50 {ev.stats[1]:.3f} after {epoch} epochs, {step} steps, {time.time() - t0:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
