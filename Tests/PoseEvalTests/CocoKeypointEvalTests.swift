import Foundation
import Keypoints
import Testing
@testable import PoseEval

@Suite("COCO keypoint evaluation")
struct CocoKeypointEvalTests {
    struct Expected: Decodable {
        var stats: [Double]
        var lines: [String]
    }

    static let resultSets = ["gt_as_results", "noisy", "missing_extra", "tied_scores", "with_bbox"]

    func evaluate(_ set: String) throws -> CocoEvalSummary {
        try CocoKeypointEval.load(annotations: Fixtures.valAnnotations(),
                                  results: Fixtures.url("cocoeval/\(set).json")).evaluate()
    }

    @Test("all 10 stats equal pycocotools to 1e-9", arguments: resultSets)
    func statsEqualPycocotools(set: String) throws {
        let expected = try Fixtures.json([String: Expected].self, "cocoeval/expected.json")[set]
        let want = try #require(expected).stats
        let got = try evaluate(set).stats
        #expect(got.count == 10)
        for (i, (g, w)) in zip(got, want).enumerated() {
            // 1e-9: the stats are means of count ratios; only a reordered sum may differ, by ~1e-16.
            #expect(abs(g - w) <= 1e-9, "\(set) stat \(i): \(g) vs pycocotools \(w)")
        }
    }

    @Test("summary table prints pycocotools' lines exactly", arguments: resultSets)
    func summaryLinesMatch(set: String) throws {
        let expected = try #require(try Fixtures.json([String: Expected].self, "cocoeval/expected.json")[set])
        #expect(try evaluate(set).lines == expected.lines)
    }

    @Test("corner cases (annotation id 0, no medium persons, empty keypoints, other categories) match pycocotools")
    func syntheticCornerCasesMatchPycocotools() throws {
        let expected = try #require(try Fixtures.json([String: Expected].self, "cocoeval/expected.json")["synthetic"])
        let summary = try CocoKeypointEval.load(annotations: Fixtures.url("cocoeval/synthetic_gt.json"),
                                                results: Fixtures.url("cocoeval/synthetic.json")).evaluate()
        #expect(summary.lines == expected.lines)
        #expect(zip(summary.stats, expected.stats).allSatisfy { abs($0 - $1) <= 1e-9 }, "\(summary.stats)")
        #expect(summary.stats[3] == -1 && summary.stats[8] == -1)
    }

    @Test("the ground truth evaluated as results scores 1.0 everywhere")
    func groundTruthScoresOne() throws {
        #expect(try evaluate("gt_as_results").stats == [Double](repeating: 1, count: 10))
    }

    @Test("OKS thresholds are NumPy's linspace values")
    func thresholdsAreLinspace() {
        let p = CocoEvalParams.keypoints
        #expect(p.iouThresholds == [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95])
        #expect(p.recallThresholds.count == 101)
        #expect(p.recallThresholds[100] == 1.0 && p.recallThresholds[1] == 0.01)
        #expect(p.maxDets == [20])
    }

    @Test("a ground truth without keypoints is compared with its box grown by one box size per side")
    func oksOfPersonWithoutKeypointsUsesBoxExtension() {
        let gt = EvalGroundTruth(id: 1, keypoints: [Double](repeating: 0, count: 51), bbox: [10, 20, 30, 40],
                                 area: 900, isCrowd: false, ignore: true)
        // Every joint inside [x0, x1] = [-20, 70], [y0, y1] = [-20, 100]: distance 0, OKS 1.
        let inside = EvalDetection(id: 1, keypoints: (0..<17).flatMap { _ in [50.0, 90.0, 1.0] }, bbox: [], area: 0,
                                   score: 1)
        #expect(computeOks(detections: [inside], groundTruths: [gt], sigmas: KeypointMetainfo.coco.sigmas) == [1])
        // All joints 10 px right of x1: each e = 100 / (2σ)² / (900 + eps) / 2.
        let outside = EvalDetection(id: 2, keypoints: (0..<17).flatMap { _ in [80.0, 0.0, 1.0] }, bbox: [], area: 0,
                                    score: 1)
        let oks = computeOks(detections: [outside], groundTruths: [gt], sigmas: KeypointMetainfo.coco.sigmas)[0]
        let want = KeypointMetainfo.coco.sigmas.map { exp(-(100 / (($0 * 2) * ($0 * 2)) / (900 + .ulpOfOne) / 2)) }
            .reduce(0, +) / 17
        #expect(abs(oks - want) < 1e-15)
    }

    @Test("a keypoint result's area and box are its keypoints' extent, as loadRes")
    func keypointExtentAsLoadRes() {
        let extent = keypointExtent([10, 20, 0.9, 40, 5, 0.1, 25, 60, 0.0])
        #expect(extent.area == 30 * 55)
        #expect(extent.bbox == [10, 5, 30, 55])
    }

    @Test("NumPy's pairwise sum, mean and searchsorted are reproduced")
    func numpyHelpers() {
        let values = (0..<300).map { 1.0 / Double($0 + 1) }
        #expect(abs(numpySum(values) - values.reduce(0, +)) < 1e-12)
        #expect(numpyMean([1, 2, 3, 4]) == 2.5)
        #expect(searchSortedLeft([0.1, 0.2, 0.2, 0.5], 0.2) == 1)
        #expect(searchSortedLeft([0.1, 0.2], 0.9) == 2)
        #expect(stableOrderByDescendingScore([0.5, 0.9, 0.5, 0.9]) == [1, 3, 0, 2])
    }
}
