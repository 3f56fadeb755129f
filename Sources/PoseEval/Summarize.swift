// The 10 keypoint summary numbers and their printed table, as pycocotools `summarize` / `_summarizeKps`.
import Foundation

/// One summary line: AP or AR at an OKS threshold (nil = mean over all), an area label and maxDets.
public struct SummaryEntry: Sendable {
    public var isPrecision: Bool
    public var iouThreshold: Double?
    public var area: String
    public var maxDets: Int

    /// The 10 entries of `_summarizeKps`: AP, AP50, AP75, APm, APl, AR, AR50, AR75, ARm, ARl (maxDets 20).
    public static let keypoints: [SummaryEntry] = [true, false].flatMap { ap in
        [(nil, "all"), (0.5, "all"), (0.75, "all"), (nil, "medium"), (nil, "large")].map {
            SummaryEntry(isPrecision: ap, iouThreshold: $0.0, area: $0.1, maxDets: 20)
        }
    }
}

/// The mean of the selected cells that are not -1, or -1 when none are, as pycocotools `_summarize`.
///
/// Thresholds are selected by exact equality with `params.iouThresholds` (`np.where(iouThr == p.iouThrs)`),
/// and the cells are averaged in C order with NumPy's pairwise sum.
func summarize(_ entry: SummaryEntry, _ acc: CocoEvalAccumulation, params: CocoEvalParams) -> Double {
    let thresholds = params.iouThresholds.indices.filter { entry.iouThreshold == nil || params.iouThresholds[$0] == entry.iouThreshold }
    let areas = params.areaRanges.indices.filter { params.areaRanges[$0].label == entry.area }
    let maxDets = params.maxDets.indices.filter { params.maxDets[$0] == entry.maxDets }
    var values = [Double]()
    for t in thresholds {
        for r in entry.isPrecision ? Array(0..<acc.r) : [0] {
            for k in 0..<acc.k {
                // s[..., aind, mind]: the two index lists are broadcast together, not crossed.
                for (a, m) in zip(areas, maxDets) {
                    let value = entry.isPrecision ? acc.precision[acc.precisionIndex(t, r, k, a, m)]
                                                  : acc.recall[acc.recallIndex(t, k, a, m)]
                    if value > -1 { values.append(value) }
                }
            }
        }
    }
    return values.isEmpty ? -1 : numpyMean(values)
}

/// One line of pycocotools' summary table:
/// `' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}'`.
func summaryLine(_ entry: SummaryEntry, value: Double, params: CocoEvalParams) -> String {
    let title = entry.isPrecision ? "Average Precision" : "Average Recall"
    let type = entry.isPrecision ? "(AP)" : "(AR)"
    let iou = entry.iouThreshold.map { String(format: "%0.2f", $0) }
        ?? String(format: "%0.2f:%0.2f", params.iouThresholds.first ?? 0, params.iouThresholds.last ?? 0)
    return " \(padRight(title, 18)) \(type) @[ IoU=\(padRight(iou, 9)) | area=\(padLeft(entry.area, 6)) | "
        + "maxDets=\(padLeft(String(entry.maxDets), 3)) ] = \(String(format: "%0.3f", value))"
}

private func padRight(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

private func padLeft(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}
