// OKS non-maximum suppression as SimpleBaseline `oks_nms` / `oks_iou` (lib/nms/nms.py): keep the best-scored
// person, drop every other whose OKS with it exceeds the threshold, repeat. OKS here uses the mean of the two
// box areas: exp(-d² / (2 · ((a_g + a_d) / 2 + eps) · (2σ)²)), averaged over joints.
import Foundation

/// OKS of one person against others, as SimpleBaseline `oks_iou`.
///
/// With `inVisThreshold` nil every joint counts. Otherwise only joints whose *other* person's confidence
/// exceeds it count: the reference's `list(vg > t) and list(vd > t)` evaluates to the second list. No joint
/// counting gives 0.
func oksIou(_ g: [Double], _ others: [[Double]], areaG: Double, areasOthers: [Double], sigmas: [Double],
            inVisThreshold: Double?) -> [Double] {
    let vars = sigmas.map { ($0 * 2) * ($0 * 2) }
    return others.indices.map { n in
        let d = others[n]
        let scale = (areaG + areasOthers[n]) / 2 + Double.ulpOfOne
        var e = [Double]()
        for j in sigmas.indices {
            if let threshold = inVisThreshold, !(d[3 * j + 2] > threshold) { continue }
            let dx = d[3 * j] - g[3 * j], dy = d[3 * j + 1] - g[3 * j + 1]
            e.append(exp(-((dx * dx + dy * dy) / vars[j] / scale / 2)))
        }
        return e.isEmpty ? 0 : numpySum(e) / Double(e.count)
    }
}

/// Indices of the persons OKS-NMS keeps, best score first, as SimpleBaseline `oks_nms` (overlap > threshold
/// is suppressed). Equal scores: the later index comes first, as the reversed ascending `argsort`.
public func oksNms(_ persons: [PersonPrediction], threshold: Double = 0.9, sigmas: [Double],
                   inVisThreshold: Double? = nil) -> [Int] {
    var order = persons.indices.sorted { i, j in
        persons[i].score != persons[j].score ? persons[i].score > persons[j].score : i > j
    }
    var keep = [Int]()
    while let i = order.first {
        keep.append(i)
        let rest = Array(order.dropFirst())
        let overlaps = oksIou(persons[i].keypoints, rest.map { persons[$0].keypoints }, areaG: persons[i].area,
                              areasOthers: rest.map { persons[$0].area }, sigmas: sigmas, inVisThreshold: inVisThreshold)
        order = zip(rest, overlaps).filter { $0.1 <= threshold }.map(\.0)
    }
    return keep
}
