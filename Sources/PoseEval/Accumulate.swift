// Precision/recall over all images, as pycocotools `accumulate`: detections of all images sorted by score
// (stable), cumulative TP/FP, precision made monotone from the right, then read at each recall threshold
// with `searchsorted(side='left')`; -1 marks a cell with no ground truth.

/// pycocotools `eval['precision']` `[T, R, K, A, M]` and `eval['recall']` `[T, K, A, M]`, flat in C order.
public struct CocoEvalAccumulation: Sendable {
    public let t: Int, r: Int, k: Int, a: Int, m: Int
    /// `precision[(((t * R + r) * K + k) * A + a) * M + m]`.
    public var precision: [Double]
    /// `recall[((t * K + k) * A + a) * M + m]`.
    public var recall: [Double]

    func precisionIndex(_ t: Int, _ r: Int, _ k: Int, _ a: Int, _ m: Int) -> Int {
        (((t * self.r + r) * self.k + k) * self.a + a) * self.m + m
    }

    func recallIndex(_ t: Int, _ k: Int, _ a: Int, _ m: Int) -> Int {
        ((t * self.k + k) * self.a + a) * self.m + m
    }
}

/// Accumulates per-image evaluations as pycocotools `accumulate`.
/// - Parameter evaluations: `[K][A][I]`, categories × area ranges × images (ascending ids).
func accumulate(_ evaluations: [[[ImageEvaluation?]]], params: CocoEvalParams) -> CocoEvalAccumulation {
    let T = params.iouThresholds.count, R = params.recallThresholds.count
    let K = evaluations.count, A = params.areaRanges.count, M = params.maxDets.count
    var result = CocoEvalAccumulation(
        t: T, r: R, k: K, a: A, m: M,
        precision: [Double](repeating: -1, count: T * R * K * A * M),
        recall: [Double](repeating: -1, count: T * K * A * M))
    for k in 0..<K {
        for a in 0..<A {
            let images = evaluations[k][a].compactMap { $0 }
            if images.isEmpty { continue }
            for (m, maxDet) in params.maxDets.enumerated() {
                // np.concatenate over images of e['dtScores'][0:maxDet], then a stable descending sort.
                var scores = [Double](), matched = [[Bool]](repeating: [], count: T), ignored = matched
                for e in images {
                    let n = min(maxDet, e.dtScores.count)
                    scores += e.dtScores[0..<n]
                    for t in 0..<T {
                        matched[t] += e.dtMatches[t][0..<n].map { $0 != 0 }
                        ignored[t] += e.dtIgnore[t][0..<n]
                    }
                }
                let order = stableOrderByDescendingScore(scores)
                let npig = images.reduce(0) { $0 + $1.gtIgnore.filter { !$0 }.count }
                if npig == 0 { continue }
                let nd = order.count
                for t in 0..<T {
                    var tp = 0.0, fp = 0.0
                    var rc = [Double](repeating: 0, count: nd)
                    var pr = [Double](repeating: 0, count: nd)
                    for (i, index) in order.enumerated() {
                        if !ignored[t][index] {
                            if matched[t][index] { tp += 1 } else { fp += 1 }
                        }
                        rc[i] = tp / Double(npig)
                        pr[i] = tp / (fp + tp + Double.ulpOfOne)
                    }
                    result.recall[result.recallIndex(t, k, a, m)] = nd > 0 ? rc[nd - 1] : 0
                    if nd > 1 {
                        for i in stride(from: nd - 1, to: 0, by: -1) where pr[i] > pr[i - 1] {
                            pr[i - 1] = pr[i]
                        }
                    }
                    // q starts at 0; pycocotools stops filling at the first threshold beyond the last recall.
                    for ri in 0..<R { result.precision[result.precisionIndex(t, ri, k, a, m)] = 0 }
                    for (ri, threshold) in params.recallThresholds.enumerated() {
                        let pi = searchSortedLeft(rc, threshold)
                        if pi >= nd { break }
                        result.precision[result.precisionIndex(t, ri, k, a, m)] = pr[pi]
                    }
                }
            }
        }
    }
    return result
}
