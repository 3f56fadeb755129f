#!/usr/bin/env python3
"""Benchmark (prints, never asserts): the reference Python/OpenCV training-sample pipeline on coco-small train.

One sample = SimpleBaseline/HRNet `JointsDataset.__getitem__` for COCO at 256x192 (lib/dataset/JointsDataset.py,
lib/utils/transforms.py): cv2.imread (+ BGR→RGB, as `DATASET.COLOR_RGB`), half body (prob 0.3), scale
(0.35) / rotation (45, prob 0.6) / flip (0.5) jitter, get_affine_transform + cv2.warpAffine(INTER_LINEAR),
ToTensor + Normalize (done with numpy, as torchvision does it on an HWC uint8 array), generate_target
(Gaussian, sigma 2, 64x48). Workers are processes (as PyTorch's DataLoader), each with
cv2.setNumThreads(1), so "N workers" uses N cores.

  python3 Tools/bench_data_pipeline.py [--data ../shared/data/coco-small] [--samples 600] [--workers 1 2]

Prints one line per worker count: samples/s and ms per sample per core (median of --repeats runs).
"""
import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import time

import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
from make_keypoint_fixtures import affine_matrix, apply_affine, xywh2cs  # noqa: E402
from make_keypoint_fixtures import generate_target as reference_generate_target  # noqa: E402

IMAGE_SIZE = np.array([192, 256])  # w, h
HEATMAP_SIZE = np.array([48, 64])
SIGMA = 2
ASPECT = IMAGE_SIZE[0] * 1.0 / IMAGE_SIZE[1]
FLIP_PAIRS = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12], [13, 14], [15, 16]]
UPPER = list(range(11))
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def load_db(root, split):
    """COCODataset._load_coco_keypoint_annotation_kernal for every image (boxes cleaned, crowd skipped)."""
    coco = json.load(open(os.path.join(root, "annotations", f"person_keypoints_{split}.json")))
    by_image = {}
    for a in coco["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    db = []
    for im in coco["images"]:
        for obj in by_image.get(im["id"], []):
            if obj.get("iscrowd", 0) or obj["category_id"] != 1 or max(obj["keypoints"]) == 0:
                continue
            x, y, w, h = obj["bbox"]
            x1, y1 = max(0, x), max(0, y)
            x2 = min(im["width"] - 1, x1 + max(0, w - 1))
            y2 = min(im["height"] - 1, y1 + max(0, h - 1))
            if not (obj["area"] > 0 and x2 >= x1 and y2 >= y1):
                continue
            c, s = xywh2cs(x1, y1, x2 - x1, y2 - y1)
            kp = np.array(obj["keypoints"], np.float32).reshape(17, 3)
            joints = np.zeros((17, 3), np.float32)
            vis = np.zeros((17, 3), np.float32)
            joints[:, :2] = kp[:, :2]
            vis[:, :2] = np.minimum(kp[:, 2:3], 1)
            db.append(dict(image=os.path.join(root, split, im["file_name"]), center=c, scale=s,
                           joints_3d=joints, joints_3d_vis=vis))
    return db


def fliplr_joints(joints, joints_vis, width):
    joints[:, 0] = width - joints[:, 0] - 1
    for a, b in FLIP_PAIRS:
        joints[a, :], joints[b, :] = joints[b, :], joints[a, :].copy()
        joints_vis[a, :], joints_vis[b, :] = joints_vis[b, :], joints_vis[a, :].copy()
    return joints * joints_vis, joints_vis


def half_body_transform(joints, joints_vis):
    upper, lower = [], []
    for j in range(17):
        if joints_vis[j][0] > 0:
            (upper if j in UPPER else lower).append(joints[j])
    selected = upper if (np.random.randn() < 0.5 and len(upper) > 2) else (lower if len(lower) > 2 else upper)
    if len(selected) < 2:
        return None, None
    selected = np.array(selected, dtype=np.float32)
    center = selected.mean(axis=0)[:2]
    left_top = np.amin(selected, axis=0)
    right_bottom = np.amax(selected, axis=0)
    w = right_bottom[0] - left_top[0]
    h = right_bottom[1] - left_top[1]
    if w > ASPECT * h:
        h = w * 1.0 / ASPECT
    elif w < ASPECT * h:
        w = h * ASPECT
    scale = np.array([w * 1.0 / 200, h * 1.0 / 200], dtype=np.float32) * 1.5
    return center, scale


def generate_target(joints, joints_vis):
    """SimpleBaseline's generate_target (the reference the fixtures use) at this benchmark's sizes."""
    return reference_generate_target(joints, joints_vis, IMAGE_SIZE, HEATMAP_SIZE, SIGMA)


def get_item(rec):
    """JointsDataset.__getitem__ (train): decode, augment, crop, normalize, targets."""
    data_numpy = cv2.imread(rec["image"], cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    data_numpy = cv2.cvtColor(data_numpy, cv2.COLOR_BGR2RGB)
    joints = rec["joints_3d"].copy()
    joints_vis = rec["joints_3d_vis"].copy()
    c = rec["center"].copy()
    s = rec["scale"].copy()
    r = 0
    if np.sum(joints_vis[:, 0]) > 8 and np.random.rand() < 0.3:
        c_half, s_half = half_body_transform(joints, joints_vis)
        if c_half is not None:
            c, s = c_half, s_half
    sf, rf = 0.35, 45
    s = s * np.clip(np.random.randn() * sf + 1, 1 - sf, 1 + sf)
    r = np.clip(np.random.randn() * rf, -rf * 2, rf * 2) if np.random.random() <= 0.6 else 0
    if np.random.random() <= 0.5:
        data_numpy = data_numpy[:, ::-1, :]
        joints, joints_vis = fliplr_joints(joints, joints_vis, data_numpy.shape[1])
        c[0] = data_numpy.shape[1] - c[0] - 1
    trans = affine_matrix(c, s, r, IMAGE_SIZE)
    crop = cv2.warpAffine(data_numpy, trans, (int(IMAGE_SIZE[0]), int(IMAGE_SIZE[1])), flags=cv2.INTER_LINEAR)
    # torchvision ToTensor + Normalize
    tensor = ((crop.astype(np.float32) / 255.0 - MEAN) / STD).transpose(2, 0, 1).copy()
    for i in range(17):
        if joints_vis[i, 0] > 0.0:
            joints[i, 0:2] = apply_affine(joints[i, 0:2], trans)
    target, target_weight = generate_target(joints, joints_vis)
    return tensor, target, target_weight


def worker(args):
    db, indices, seed = args
    cv2.setNumThreads(1)
    np.random.seed(seed)
    for i in indices:
        get_item(db[i])
    return len(indices)


def run(db, samples, workers, pool):
    order = [i % len(db) for i in range(samples)]
    chunks = [(db, order[k::workers], 1000 + k) for k in range(workers)]
    t = time.perf_counter()
    done = sum(pool.map(worker, chunks))
    return done / (time.perf_counter() - t)


def main():
    parser = argparse.ArgumentParser()
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--data", default=os.path.join(here, "..", "shared", "data", "coco-small"))
    parser.add_argument("--split", default="train2017")
    parser.add_argument("--samples", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    db = load_db(args.data, args.split)
    print(f"python {platform.python_version()} numpy {np.__version__} opencv {cv2.__version__}; "
          f"{len(db)} instances in {args.split}; {args.samples} samples per run, median of {args.repeats}")
    for workers in args.workers:
        with mp.get_context("fork").Pool(workers) as pool:
            pool.map(worker, [(db, list(range(min(8, len(db)))), 0)] * workers)  # warm up imports and caches
            rates = sorted(run(db, args.samples, workers, pool) for _ in range(args.repeats))
        rate = statistics.median(rates)
        print(f"python-opencv workers={workers} {rate:.1f} samples/s  {1000 * workers / rate:.2f} ms/sample/core"
              f"  (runs: {', '.join(f'{r:.1f}' for r in rates)})")


if __name__ == "__main__":
    main()
