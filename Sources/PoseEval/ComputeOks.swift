// Object keypoint similarity between the detections and ground truths of one image, as pycocotools `computeOks`:
//   OKS = mean over labelled joints of exp(-d² / (2 · area · (2σ)²)), d the joint distance;
//   a ground truth without labelled joints measures d to its bbox grown by one box size on every side.

import Foundation

/// A ground-truth person as COCOeval sees it after `_prepare` (`ignore` = crowd or `num_keypoints == 0`).
struct EvalGroundTruth {
    var id: Int
    var keypoints: [Double]
    var bbox: [Double]
    var area: Double
    var isCrowd: Bool
    var ignore: Bool
}

/// A detection as COCOeval sees it after `loadRes`: id = position in the file + 1; area and `[x, y, w, h]`
/// bbox of the keypoints' extent (or, in loadRes' bbox branch, the result's own bbox and `w * h`).
/// OKS ignores the bbox; the area decides the area-range ignore of unmatched detections.
struct EvalDetection {
    var id: Int
    var keypoints: [Double]
    var bbox: [Double]
    var area: Double
    var score: Double
}

/// OKS matrix `[D × G]` row-major, as pycocotools `computeOks`; `detections` are already sorted by
/// descending score and cut to `maxDets`. Empty when either side is empty.
func computeOks(detections: [EvalDetection], groundTruths: [EvalGroundTruth], sigmas: [Double]) -> [Double] {
    let d = detections.count
    let g = groundTruths.count
    if d == 0 || g == 0 { return [] }
    let k = sigmas.count
    let vars = sigmas.map { ($0 * 2) * ($0 * 2) }
    var ious = [Double](repeating: 0, count: d * g)
    var e = [Double]()
    e.reserveCapacity(k)
    for (j, gt) in groundTruths.enumerated() {
        let labelled = gt.keypoints.isEmpty ? 0 : (0..<k).reduce(0) { $0 + (gt.keypoints[3 * $1 + 2] > 0 ? 1 : 0) }
        let bb = gt.bbox
        let x0 = bb[0] - bb[2], x1 = bb[0] + bb[2] * 2
        let y0 = bb[1] - bb[3], y1 = bb[1] + bb[3] * 2
        let scale = gt.area + Double.ulpOfOne  // np.spacing(1)
        for (i, dt) in detections.enumerated() {
            e.removeAll(keepingCapacity: true)
            for joint in 0..<k {
                let xd = dt.keypoints[3 * joint], yd = dt.keypoints[3 * joint + 1]
                let dx: Double, dy: Double
                if labelled > 0 {
                    if !(gt.keypoints[3 * joint + 2] > 0) { continue }
                    dx = xd - gt.keypoints[3 * joint]
                    dy = yd - gt.keypoints[3 * joint + 1]
                } else {
                    dx = max(0, x0 - xd) + max(0, xd - x1)
                    dy = max(0, y0 - yd) + max(0, yd - y1)
                }
                e.append(exp(-((dx * dx + dy * dy) / vars[joint] / scale / 2)))
            }
            ious[i * g + j] = numpySum(e) / Double(e.count)
        }
    }
    return ious
}
