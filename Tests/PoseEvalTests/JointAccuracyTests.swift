import Testing
@testable import PoseEval

@Suite("SimpleBaseline heatmap accuracy")
struct JointAccuracyTests {
    /// One [1, K, 64, 48] batch with a single 1 at each joint's (x, y); (-1, -1) leaves a joint's map empty.
    func maps(_ peaks: [(Int, Int)]) -> [Float] {
        var out = [Float](repeating: 0, count: peaks.count * 64 * 48)
        for (j, (x, y)) in peaks.enumerated() where x >= 0 {
            out[(j * 64 + y) * 48 + x] = 1
        }
        return out
    }

    @Test("distances are divided by [H, W] / 10 in (x, y) order, as the reference's norm, threshold 0.5")
    func normalisationQuirk() {
        var accuracy = JointAccuracy(joints: 6)
        let target = maps([(20, 30), (20, 30), (20, 30), (20, 30), (1, 30), (-1, -1)])
        // x off by 3: 3 / 6.4 = 0.47 (correct); x off by 4: 0.625 (wrong); y off by 2: 2 / 4.8 = 0.42 (correct);
        // y off by 3: 0.625 (wrong); target at x = 1 and an empty target map: not counted.
        let predicted = maps([(23, 30), (24, 30), (20, 32), (20, 33), (1, 30), (5, 5)])
        accuracy.add(predicted: predicted, target: target, shape: HeatmapBatchShape(n: 1, k: 6, height: 64, width: 48))
        #expect(accuracy.counted == [1, 1, 1, 1, 0, 0])
        #expect(accuracy.correct == [1, 0, 1, 0, 0, 0])
        #expect(accuracy.perJoint == [1, 0, 1, 0, nil, nil])
        #expect(accuracy.mean == 0.5)
    }

    @Test("an all-zero prediction sits at (0, 0) and misses every counted joint")
    func zeroPredictionMisses() {
        var accuracy = JointAccuracy(joints: 2)
        accuracy.add(predicted: [Float](repeating: 0, count: 2 * 64 * 48), target: maps([(10, 10), (40, 60)]),
                     shape: HeatmapBatchShape(n: 1, k: 2, height: 64, width: 48))
        #expect(accuracy.counted == [1, 1] && accuracy.correct == [0, 0])
    }
}
