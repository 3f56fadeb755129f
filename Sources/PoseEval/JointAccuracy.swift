// Per-joint heatmap accuracy as SimpleBaseline `accuracy` (lib/core/evaluate.py, hm_type 'gaussian', thr 0.5):
// argmax of the predicted and of the target heatmap (`get_max_preds`), distance in heatmap cells divided by
// `[H, W] / 10` (the reference divides x by H/10 and y by W/10: its `norm = [h, w] / 10` meets `(x, y)`),
// a joint counts when the target argmax has x > 1 and y > 1, and is correct when the distance is < 0.5.
// N = crops, K = joints, H × W = heatmap size.
import Foundation
import Keypoints

/// Per-joint counts of SimpleBaseline's heatmap accuracy (a PCK at 0.5 of a tenth of the heatmap size),
/// accumulated over batches.
public struct JointAccuracy: Sendable, Equatable, Codable {
    /// Per joint: crops where the target argmax lies at x > 1 and y > 1 (the reference's `dists != -1`).
    public var counted: [Int]
    /// Per joint: counted crops whose normalised distance is below the threshold.
    public var correct: [Int]
    /// The distance threshold (SimpleBaseline `thr`, 0.5).
    public var threshold: Double

    public init(joints: Int, threshold: Double = 0.5) {
        counted = Array(repeating: 0, count: joints)
        correct = Array(repeating: 0, count: joints)
        self.threshold = threshold
    }

    /// Adds one batch of predicted and target heatmaps `[N, K, H, W]`.
    public mutating func add(predicted: [Float], target: [Float], shape: HeatmapBatchShape) {
        precondition(predicted.count == shape.count && target.count == shape.count,
                     "JointAccuracy.add: \(predicted.count) and \(target.count) values for shape [\(shape.n), \(shape.k), \(shape.height), \(shape.width)]")
        precondition(shape.k == counted.count, "JointAccuracy.add: \(shape.k) joints, expected \(counted.count)")
        let plane = shape.height * shape.width
        // norm = np.ones((N, 2)) * [h, w] / 10, divided into (x, y).
        let normX = Double(shape.height) / 10, normY = Double(shape.width) / 10
        predicted.withUnsafeBufferPointer { p in
            target.withUnsafeBufferPointer { t in
                for n in 0..<shape.n {
                    for j in 0..<shape.k {
                        let range = ((n * shape.k + j) * plane)..<((n * shape.k + j + 1) * plane)
                        let (tc, _) = argmaxPosition(UnsafeBufferPointer(rebasing: t[range]), width: shape.width)
                        guard tc.x > 1 && tc.y > 1 else { continue }
                        let (pc, _) = argmaxPosition(UnsafeBufferPointer(rebasing: p[range]), width: shape.width)
                        // float32 coordinates divided by the float64 norm: float64 from here on.
                        let dx = Double(pc.x) / normX - Double(tc.x) / normX
                        let dy = Double(pc.y) / normY - Double(tc.y) / normY
                        counted[j] += 1
                        if (dx * dx + dy * dy).squareRoot() < threshold { correct[j] += 1 }
                    }
                }
            }
        }
    }

    /// Per-joint accuracy in [0, 1], `nil` where no crop counted (the reference's -1).
    public var perJoint: [Double?] {
        zip(correct, counted).map { $1 == 0 ? nil : Double($0) / Double($1) }
    }

    /// The mean of the per-joint accuracies that exist (SimpleBaseline `avg_acc`), 0 if none does.
    public var mean: Double {
        let values = perJoint.compactMap { $0 }
        return values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }
}

/// SimpleBaseline `get_max_preds` for one map: the first maximum as float32 (x, y), (0, 0) unless it is > 0.
func argmaxPosition(_ map: UnsafeBufferPointer<Float>, width: Int) -> (SIMD2<Float>, Float) {
    var best = 0
    var value = map[0]
    for i in 1..<map.count where map[i] > value {
        value = map[i]
        best = i
    }
    guard value > 0 else { return (.zero, value) }
    return (SIMD2(Float(best % width), Float(best / width)), value)
}
