import Foundation
import Keypoints
import Testing
@testable import PoseEval

@Suite("Top-down evaluation pipeline")
struct TopDownEvaluatorTests {
    func valSplit() throws -> CocoDataset {
        try CocoDataset(root: Fixtures.cocoSmall(), split: "val2017")
    }

    /// A perfect network: the ground-truth joints of each crop encoded by the evaluator's own codec; for the
    /// mirrored batch, the mirrored joints (x → W - 1 - x, left/right swapped) encoded the same way.
    func groundTruthNetwork(_ evaluator: TopDownEvaluator) -> (EvalBatch) -> [Float] {
        { batch in
            guard batch.flipped else { return batch.targets }
            let width = Double(evaluator.codec.inputSize.width)
            let flipIndex = evaluator.metainfo.flipIndex
            return batch.meta.flatMap { meta -> [Float] in
                var joints = meta.joints, visible = meta.jointsVisible
                for j in joints.indices {
                    joints[flipIndex[j]] = SIMD2(width - 1 - meta.joints[j].x, meta.joints[j].y)
                    visible[flipIndex[j]] = meta.jointsVisible[j]
                }
                return evaluator.codec.encode(joints: joints, visible: visible).heatmaps
            }
        }
    }

    @Test("ground-truth heatmaps through the eval pipeline give AP >= 0.95 on coco-small val (GT boxes)")
    func groundTruthHeatmapsScoreHigh() throws {
        let dataset = try valSplit()
        let evaluator = TopDownEvaluator(flipTest: false, batchSize: 16)
        var calls = 0
        let outcome = try evaluator.evaluate(dataset: dataset, boxes: .groundTruth, progress: { _ in calls += 1 },
                                             predictBatch: groundTruthNetwork(evaluator))
        #expect(outcome.predictions.count == 78)
        #expect(calls == 5)
        #expect(outcome.summary.stats[0] >= 0.95, "AP \(outcome.summary.stats[0]): \(outcome.summary.lines)")
        // Every joint whose target the reference counts is found at its own argmax.
        let accuracy = try #require(outcome.jointAccuracy)
        #expect(accuracy.correct == accuracy.counted)
        #expect(accuracy.mean == 1)
    }

    @Test("ground-truth heatmaps with the flip test (mirrored joints for the mirrored crop) keep AP >= 0.95")
    func groundTruthHeatmapsWithFlipScoreHigh() throws {
        let evaluator = TopDownEvaluator(flipTest: true)
        let outcome = try evaluator.evaluate(dataset: valSplit(), boxes: .groundTruth,
                                             predictBatch: groundTruthNetwork(evaluator))
        #expect(outcome.summary.stats[0] >= 0.95, "AP \(outcome.summary.stats[0]): \(outcome.summary.lines)")
    }

    /// A mirror-symmetric fake network: each heatmap is a 4x4 max-pool of the crop's red plane times a weight
    /// shared by left/right partners, so f(mirror(x)) is mirror(f(x)) with partners swapped, exactly.
    func symmetricNetwork(_ evaluator: TopDownEvaluator) -> ([Float], Int) -> [Float] {
        let input = evaluator.codec.inputSize, heatmap = evaluator.codec.heatmapSize
        let k = evaluator.metainfo.numJoints
        let flipIndex = evaluator.metainfo.flipIndex
        let weights = (0..<k).map { Float(1 + min($0, flipIndex[$0])) / Float(k) }
        return { images, n in
            var out = [Float](repeating: 0, count: n * k * heatmap.area)
            for i in 0..<n {
                let red = i * 3 * input.area
                for y in 0..<heatmap.height {
                    for x in 0..<heatmap.width {
                        var m = -Float.infinity
                        for dy in 0..<4 {
                            for dx in 0..<4 { m = max(m, images[red + (4 * y + dy) * input.width + 4 * x + dx]) }
                        }
                        for j in 0..<k { out[((i * k + j) * heatmap.height + y) * heatmap.width + x] = (m + 3) * weights[j] }
                    }
                }
            }
            return out
        }
    }

    @Test("a mirror-symmetric network gives the same results with and without the flip test (no shift)")
    func symmetricNetworkIsFlipInvariant() throws {
        let dataset = try valSplit()
        let plain = TopDownEvaluator(flipTest: false)
        let flipped = TopDownEvaluator(flipTest: true, shiftHeatmap: false)
        let a = try plain.evaluate(dataset: dataset, boxes: .groundTruth, predictHeatmaps: symmetricNetwork(plain))
        let b = try flipped.evaluate(dataset: dataset, boxes: .groundTruth, predictHeatmaps: symmetricNetwork(flipped))
        #expect(a.predictions == b.predictions)
        #expect(a.results == b.results)
        #expect(a.summary.stats == b.summary.stats)
    }

    @Test("mirrorColumns reverses every row (np.flip along W)")
    func mirrorColumnsReversesRows() {
        #expect(mirrorColumns([1, 2, 3, 4, 5, 6], width: 3) == [3, 2, 1, 6, 5, 4])
    }

    @Test("detection boxes: every person box of the file above the threshold becomes a crop")
    func detectionBoxesBecomeInstances() throws {
        let dataset = try valSplit()
        let file = try Fixtures.cocoSmall().appendingPathComponent("person_detection_results/COCO_val2017_detections_person.json")
        let evaluator = TopDownEvaluator()
        let all = try evaluator.instances(dataset: dataset, boxes: .detections(file, scoreThreshold: 0))
        #expect(all.count == 118)
        let confident = try evaluator.instances(dataset: dataset, boxes: .detections(file, scoreThreshold: 0.5))
        #expect(confident.count < all.count && !confident.isEmpty)
        #expect(confident.allSatisfy { $0.score >= 0.5 && FileManager.default.fileExists(atPath: $0.imagePath) })
    }

    @Test("detection boxes evaluate end to end without joint accuracy")
    func detectionBoxesEvaluate() throws {
        let dataset = try valSplit()
        let file = try Fixtures.cocoSmall().appendingPathComponent("person_detection_results/COCO_val2017_detections_person.json")
        let evaluator = TopDownEvaluator(flipTest: false)
        let outcome = try evaluator.evaluate(dataset: dataset, boxes: .detections(file, scoreThreshold: 0.9),
                                             predictHeatmaps: symmetricNetwork(evaluator))
        #expect(outcome.jointAccuracy == nil)
        #expect(outcome.summary.stats.count == 10)
        #expect(outcome.results.count <= outcome.predictions.count)
    }

    @Test("a network returning the wrong number of values is a clear error")
    func wrongOutputSizeFails() throws {
        let evaluator = TopDownEvaluator(flipTest: false, batchSize: 8)
        #expect(throws: EvalError.badNetworkOutput(count: 5, expected: 8 * 17 * 64 * 48, shape: [8, 17, 64, 48])) {
            _ = try evaluator.evaluate(dataset: valSplit(), boxes: .groundTruth) { _, _ in [Float](repeating: 0, count: 5) }
        }
    }

    @Test("metrics.json holds the 10 stats by name and the joint accuracy")
    func metricsJSONHoldsStats() throws {
        let evaluator = TopDownEvaluator(flipTest: false)
        let outcome = try evaluator.evaluate(dataset: valSplit(), boxes: .groundTruth,
                                             predictBatch: groundTruthNetwork(evaluator))
        // JSONDecoder, not JSONSerialization: the latter's Linux parser is not correctly rounded.
        struct Metrics: Decodable {
            struct Accuracy: Decodable { var names: [String]; var values: [Double?] }
            var stats: [Double]
            var AP: Double
            var ARl: Double
            var joint_accuracy: Accuracy
        }
        let metrics = try JSONDecoder().decode(Metrics.self, from: outcome.metricsJSON())
        #expect(metrics.stats == outcome.summary.stats)
        #expect(metrics.AP == outcome.summary.stats[0] && metrics.ARl == outcome.summary.stats[9])
        #expect(metrics.joint_accuracy.names.count == 17 && metrics.joint_accuracy.values.count == 17)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evalpipe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try outcome.writeResults(to: directory.appendingPathComponent("results.json"))
        let reloaded = try KeypointResults.load(from: directory.appendingPathComponent("results.json"))
        #expect(reloaded.count == outcome.results.count)
    }
}
