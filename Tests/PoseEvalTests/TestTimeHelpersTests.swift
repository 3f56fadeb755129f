import Foundation
import Keypoints
import Testing
@testable import PoseEval

@Suite("SimpleBaseline test-time helpers")
struct TestTimeHelpersTests {
    struct FlipFixture: Decodable {
        var shape: [Int]
        var flip_pairs: [[Int]]
        var output: [Float]
        var flipped: [Float]
        var flip_back_shift: [Float]
        var average_shift: [Float]
        var flip_back_plain: [Float]
    }

    struct NmsFixture: Decodable {
        struct Prediction: Decodable {
            var image_id: Int
            var keypoints: [Double]
            var area: Double
            var score: Double
        }
        struct Pair: Decodable {
            var g: Int
            var d: [Int]
            var oks_none: [Double]
            var oks_vis_0_2: [Double]
        }
        struct Kept: Decodable {
            var image_id: Int
            var index: Int
            var score: Double
        }
        var in_vis_thre: Double
        var oks_thre: Double
        var predictions: [Prediction]
        var oks_iou: [Pair]
        var rescored_scores: [Double]
        var kept: [Kept]
    }

    func flipFixture() throws -> (FlipFixture, HeatmapBatchShape, [(Int, Int)]) {
        let f = try Fixtures.json(FlipFixture.self, "helpers/flip.json")
        let shape = HeatmapBatchShape(n: f.shape[0], k: f.shape[1], height: f.shape[2], width: f.shape[3])
        return (f, shape, f.flip_pairs.map { ($0[0], $0[1]) })
    }

    func predictions() throws -> (NmsFixture, [PersonPrediction]) {
        let f = try Fixtures.json(NmsFixture.self, "helpers/nms.json")
        return (f, f.predictions.map { PersonPrediction(imageId: $0.image_id, keypoints: $0.keypoints, area: $0.area,
                                                        score: $0.score) })
    }

    @Test("flipBack mirrors, swaps flip pairs and shifts one pixel as the reference")
    func flipBackMatchesReference() throws {
        let (f, shape, pairs) = try flipFixture()
        // A permutation of the inputs: equal bit for bit.
        #expect(flipBack(f.flipped, shape: shape, flipPairs: pairs) == f.flip_back_shift)
        #expect(flipBack(f.flipped, shape: shape, flipPairs: pairs, shiftHeatmap: false) == f.flip_back_plain)
    }

    @Test("flip-test average equals (output + flipped back) * 0.5 of the reference")
    func flipTestAverageMatchesReference() throws {
        let (f, shape, pairs) = try flipFixture()
        let average = flipTestAverage(output: f.output, flippedOutput: f.flipped, shape: shape, flipPairs: pairs)
        #expect(average.count == f.average_shift.count)
        // Same float32 operations in the same order: exact up to the decimal round trip of the fixture.
        #expect(zip(average, f.average_shift).allSatisfy { abs($0 - $1) <= 1e-6 })
    }

    @Test("flipBack with the COCO metainfo's pairs maps the left wrist onto the right wrist")
    func flipBackUsesCocoPairs() {
        let shape = HeatmapBatchShape(n: 1, k: 17, height: 1, width: 3)
        var heatmaps = [Float](repeating: 0, count: shape.count)
        heatmaps[9 * 3 + 0] = 1  // left wrist, leftmost column of the mirrored crop
        let back = flipBack(heatmaps, shape: shape, flipPairs: KeypointMetainfo.coco.flipPairs, shiftHeatmap: false)
        #expect(Array(back[30..<33]) == [0, 0, 1])
    }

    @Test("rescoring multiplies the box score by the mean joint confidence above 0.2, as the reference")
    func rescoringMatchesReference() throws {
        let (f, persons) = try predictions()
        for (person, want) in zip(persons, f.rescored_scores) {
            // 1e-5: the reference sums float32 confidences; we sum in Double.
            #expect(abs(rescore(person, inVisThreshold: f.in_vis_thre) - want) <= 1e-5)
        }
        #expect(f.rescored_scores.contains(0), "fixture covers a person with no confident joint")
    }

    @Test("oksIou equals the reference with in_vis_thre None and 0.2")
    func oksIouMatchesReference() throws {
        let (f, persons) = try predictions()
        for pair in f.oks_iou {
            let g = persons[pair.g]
            let others = pair.d.map { persons[$0] }
            for (threshold, want) in [(nil, pair.oks_none), (0.2, pair.oks_vis_0_2)] as [(Double?, [Double])] {
                let got = oksIou(g.keypoints, others.map(\.keypoints), areaG: g.area, areasOthers: others.map(\.area),
                                 sigmas: KeypointMetainfo.coco.sigmas, inVisThreshold: threshold)
                #expect(zip(got, want).allSatisfy { abs($0 - $1) <= 1e-5 }, "\(got) vs \(want)")
            }
        }
    }

    @Test("rescoring then OKS-NMS at 0.9 keeps the reference's persons in the reference's order")
    func rescoreAndSuppressMatchesReference() throws {
        let (f, persons) = try predictions()
        let kept = rescoreAndSuppress(persons, inVisThreshold: f.in_vis_thre, oksThreshold: f.oks_thre,
                                      sigmas: KeypointMetainfo.coco.sigmas)
        #expect(kept.count == f.kept.count)
        #expect(kept.count < persons.count, "fixture suppresses someone")
        for (got, want) in zip(kept, f.kept) {
            #expect(got.imageId == want.image_id)
            #expect(got.keypoints == persons[want.index].keypoints)
            #expect(abs(got.score - want.score) <= 1e-5)
        }
    }

    @Test("OKS-NMS of nobody keeps nobody")
    func oksNmsOfNobody() {
        #expect(oksNms([], sigmas: KeypointMetainfo.coco.sigmas).isEmpty)
    }

    @Test("results are written atomically and read back unchanged")
    func resultsRoundTrip() throws {
        let (_, persons) = try predictions()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poseeval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("results.json")
        try writeCocoResults(persons, to: url)
        #expect(try KeypointResults.load(from: url) == persons.map { $0.result() })
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["results.json"])
    }

    @Test("a results file that cannot be written leaves nothing behind")
    func failedWriteLeavesNothing() throws {
        let url = URL(fileURLWithPath: "/nonexistent-dir-\(UUID().uuidString)/results.json")
        #expect(throws: EvalError.self) { try writeCocoResults([], to: url) }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }
}
