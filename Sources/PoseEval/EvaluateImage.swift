// Greedy matching of one image's detections to its ground truths at every OKS threshold, as pycocotools
// `evaluateImg`: ground truths sorted so non-ignored come first, detections by descending score (stable);
// each detection takes the best still-free ground truth (crowds never become busy), and stops looking at
// ignored ones once it holds a non-ignored match.

/// The per-image record pycocotools `evaluateImg` returns, for one category and area range.
struct ImageEvaluation {
    /// Scores of the kept detections, descending.
    var dtScores: [Double]
    /// `[T][D]`: id of the matched ground truth, 0 when unmatched (pycocotools `dtMatches`).
    var dtMatches: [[Int]]
    /// `[T][D]`: detection matched to an ignored ground truth, or unmatched and outside the area range.
    var dtIgnore: [[Bool]]
    /// `[G]` in sorted order: ground truth ignored (crowd, no keypoints, or outside the area range).
    var gtIgnore: [Bool]
}

/// Matches detections to ground truths as pycocotools `evaluateImg`; nil when the image has neither.
/// - Parameters:
///   - detections: sorted by descending score and cut to `maxDet`, the order `ious` rows use.
///   - ious: `[D × G]` from `computeOks`, columns in `groundTruths` order (empty if either side is).
func evaluateImage(detections: [EvalDetection], groundTruths: [EvalGroundTruth], ious: [Double],
                   areaRange: (low: Double, high: Double), iouThresholds: [Double]) -> ImageEvaluation? {
    if detections.isEmpty && groundTruths.isEmpty { return nil }
    let ignoreFlags = groundTruths.map { $0.ignore || $0.area < areaRange.low || $0.area > areaRange.high }
    // np.argsort(_ignore, kind='mergesort'): non-ignored first, file order kept.
    let gtOrder = groundTruths.indices.filter { !ignoreFlags[$0] } + groundTruths.indices.filter { ignoreFlags[$0] }
    let gts = gtOrder.map { groundTruths[$0] }
    let gtIg = gtOrder.map { ignoreFlags[$0] }
    let g = groundTruths.count
    let d = detections.count
    let t = iouThresholds.count

    var gtMatches = [[Int]](repeating: [Int](repeating: 0, count: gts.count), count: t)
    var dtMatches = [[Int]](repeating: [Int](repeating: 0, count: d), count: t)
    var dtIgnore = [[Bool]](repeating: [Bool](repeating: false, count: d), count: t)
    if !ious.isEmpty {
        for (tind, threshold) in iouThresholds.enumerated() {
            for (dind, dt) in detections.enumerated() {
                var iou = min(threshold, 1 - 1e-10)
                var m = -1
                for gind in 0..<gts.count {
                    // Already matched and not a crowd: skip.
                    if gtMatches[tind][gind] > 0 && !gts[gind].isCrowd { continue }
                    // Holding a non-ignored match and reaching the ignored ones: stop.
                    if m > -1 && !gtIg[m] && gtIg[gind] { break }
                    let candidate = ious[dind * g + gtOrder[gind]]
                    if candidate < iou { continue }
                    iou = candidate
                    m = gind
                }
                if m == -1 { continue }
                dtIgnore[tind][dind] = gtIg[m]
                dtMatches[tind][dind] = gts[m].id
                gtMatches[tind][m] = dt.id
            }
        }
    }
    // Unmatched detections outside the area range are ignored too.
    for (dind, dt) in detections.enumerated() where dt.area < areaRange.low || dt.area > areaRange.high {
        for tind in 0..<t where dtMatches[tind][dind] == 0 {
            dtIgnore[tind][dind] = true
        }
    }
    return ImageEvaluation(dtScores: detections.map(\.score), dtMatches: dtMatches, dtIgnore: dtIgnore, gtIgnore: gtIg)
}
