#!/usr/bin/env python3
"""Benchmark (prints, never asserts): `swiftpose cocoeval` against pycocotools on the same files, one session.

Cases: each fixture result set on coco-small val2017, and a scaled copy (val2017 images and results repeated
`--scale` times under new image/annotation ids, written to a temporary directory).
Per case: median and p90 wall ms over n runs after w warmups of
  swift  : `swiftpose cocoeval --json` as a process (read GT + results, evaluate, print);
           in brackets its own `--timing` split: JSON load / evaluate+accumulate+summarize (medians)
  py-proc: the same work as a fresh `python3` process (imports, COCO(), loadRes, evaluate, accumulate, summarize)
  py-eval: pycocotools in this process, GT already loaded: loadRes + evaluate + accumulate + summarize
and whether the 10 stats agree exactly.

  swift build --product swiftpose && python3 Tools/bench_cocoeval.py [--bin .build/debug/swiftpose]
"""
import argparse
import contextlib
import copy
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY_PROC = """
import contextlib, io, json, sys
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(sys.argv[1]); dt = gt.loadRes(sys.argv[2])
    e = COCOeval(gt, dt, 'keypoints'); e.evaluate(); e.accumulate(); e.summarize()
print(json.dumps({'stats': [float(s) for s in e.stats]}))
"""


def timed(fn, n, w):
    for _ in range(w):
        fn()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))], out


def scaled(gt_path, res_path, scale, directory):
    gt = json.load(open(gt_path))
    res = json.load(open(res_path))
    big_gt = dict(gt, images=[], annotations=[])
    big_res = []
    offset = 10 ** 7
    for s in range(scale):
        big_gt['images'] += [dict(i, id=i['id'] + s * offset) for i in gt['images']]
        big_gt['annotations'] += [dict(a, id=a['id'] + s * offset, image_id=a['image_id'] + s * offset)
                                  for a in gt['annotations']]
        big_res += [dict(r, image_id=r['image_id'] + s * offset) for r in res]
    paths = os.path.join(directory, 'gt_x%d.json' % scale), os.path.join(directory, 'res_x%d.json' % scale)
    json.dump(big_gt, open(paths[0], 'w'))
    json.dump(big_res, open(paths[1], 'w'))
    return paths, len(big_gt['images']), len(big_gt['annotations']), len(big_res)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--bin', default=os.path.join(ROOT, '.build', 'debug', 'swiftpose'))
    parser.add_argument('--data', default=os.path.join(ROOT, '..', 'shared', 'data', 'coco-small'))
    parser.add_argument('--scale', type=int, default=50)
    parser.add_argument('-n', type=int, default=10)
    parser.add_argument('-w', type=int, default=2)
    args = parser.parse_args()
    gt_path = os.path.join(args.data, 'annotations', 'person_keypoints_val2017.json')
    fixtures = os.path.join(ROOT, 'Tests', 'PoseEvalTests', 'Fixtures', 'cocoeval')
    commit = subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()
    print('# cocoeval bench: %s, %d CPUs, python %s, numpy %s, commit %s, swiftpose %s'
          % (platform.processor() or platform.machine(), os.cpu_count(), platform.python_version(), np.__version__,
             commit, os.path.relpath(args.bin, ROOT)))

    with tempfile.TemporaryDirectory() as tmp:
        cases = []
        for name in ['noisy', 'missing_extra']:
            cases.append((name, gt_path, os.path.join(fixtures, name + '.json')))
        (big_gt, big_res), ni, na, nr = scaled(gt_path, os.path.join(fixtures, 'missing_extra.json'), args.scale, tmp)
        cases.append(('missing_extra x%d (%d images, %d GT, %d results)' % (args.scale, ni, na, nr), big_gt, big_res))

        for name, g, r in cases:
            split = []

            def swift():
                p = subprocess.run([args.bin, 'cocoeval', '--annotations', g, '--results', r, '--json', '--timing'],
                                   check=True, capture_output=True, text=True)
                words = p.stderr.split()
                split.append((float(words[words.index('load') + 1]), float(words[words.index('evaluate') + 1])))
                return json.loads(p.stdout)['stats']
            pyproc = lambda: json.loads(subprocess.run([sys.executable, '-c', PY_PROC, g, r], check=True,
                                                       capture_output=True, text=True).stdout)['stats']
            with contextlib.redirect_stdout(io.StringIO()):
                gt = COCO(g)
            results = json.load(open(r))

            def pyeval():
                with contextlib.redirect_stdout(io.StringIO()):
                    e = COCOeval(gt, gt.loadRes(copy.deepcopy(results)), 'keypoints')
                    e.evaluate(); e.accumulate(); e.summarize()
                return [float(s) for s in e.stats]

            n = max(3, args.n // 3) if name.startswith('missing_extra x') else args.n
            s_med, s_p90, s_stats = timed(swift, n, args.w)
            p_med, p_p90, p_stats = timed(pyproc, n, args.w)
            e_med, e_p90, e_stats = timed(pyeval, n, args.w)
            load_ms = statistics.median(x[0] for x in split[args.w:])
            eval_ms = statistics.median(x[1] for x in split[args.w:])
            print('%-55s swift %7.1f ms p90 %7.1f [load %.1f / eval %.1f] | py-proc %8.1f ms p90 %8.1f | py-eval %8.1f ms p90 %8.1f | '
                  '(n=%d, w=%d) speedup vs py-proc %.1fx, stats equal: %s'
                  % (name, s_med, s_p90, load_ms, eval_ms, p_med, p_p90, e_med, e_p90, n, args.w, p_med / s_med,
                     s_stats == p_stats == e_stats))


if __name__ == '__main__':
    main()
