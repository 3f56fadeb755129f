import Foundation
import Keypoints
import Testing
@testable import PoseEval

@Suite("COCO evaluation input errors")
struct EvalErrorTests {
    func groundTruth() throws -> CocoKeypointFile {
        try JSONDecoder().decode(CocoKeypointFile.self, from: Data(contentsOf: Fixtures.valAnnotations()))
    }

    func person(image: Int = 785, values: Int = 51) -> KeypointResult {
        KeypointResult(imageId: image, keypoints: [Double](repeating: 1, count: values), score: 0.5)
    }

    func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("a result with the wrong number of keypoint values is named by its index")
    func wrongKeypointLengthNamesIndex() throws {
        let gt = try groundTruth()
        let text = message { _ = try CocoKeypointEval(groundTruth: gt, results: [person(), person(values: 50)],
                                                       resultsName: "R.json") }
        #expect(text == "R.json: result 1 has 50 keypoint values, expected 51 (x, y, score per joint)")
    }

    @Test("results for an image missing from the ground truth are refused")
    func unknownImageIsRefused() throws {
        let gt = try groundTruth()
        let text = message { _ = try CocoKeypointEval(groundTruth: gt, results: [person(), person(image: 42)],
                                                       groundTruthName: "GT.json") }
        #expect(text == "results reference image id 42 which is not in GT.json")
    }

    @Test("an empty results array is refused with 'no results'")
    func emptyResultsAreRefused() throws {
        let gt = try groundTruth()
        let text = message { _ = try CocoKeypointEval(groundTruth: gt, results: [], resultsName: "R.json") }
        #expect(text == "R.json: no results (the array is empty)")
    }

    @Test("a results file that is not JSON is refused")
    func nonJSONIsRefused() {
        #expect(message { _ = try KeypointResults.decode(Data("not json".utf8), file: "R.json") } == "R.json: not valid JSON")
    }

    @Test("a result without a score names the key and the index")
    func missingKeyIsNamed() {
        let data = Data(#"[{"image_id": 785, "category_id": 1, "keypoints": []}]"#.utf8)
        #expect(message { _ = try KeypointResults.decode(data, file: "R.json") } == "R.json: missing key 'score' at [0]")
    }

    @Test("results that are not an array are refused")
    func objectInsteadOfArrayIsRefused() {
        let data = Data(#"{"image_id": 785}"#.utf8)
        #expect(message { _ = try KeypointResults.decode(data, file: "R.json") } == "R.json: results must be an array of objects")
    }

    @Test("when the first result has a bbox every result needs one")
    func bboxBranchNeedsEveryBBox() throws {
        let gt = try groundTruth()
        var first = person()
        first.bbox = [0, 0, 10, 10]
        let text = message { _ = try CocoKeypointEval(groundTruth: gt, results: [first, person()], resultsName: "R.json") }
        #expect(text == "R.json: result 1 has no bbox, but result 0 has one (pycocotools then takes every area from bbox)")
    }

    @Test("a ground-truth file that is not JSON is named")
    func nonJSONGroundTruthIsNamed() throws {
        let text = message {
            _ = try CocoKeypointEval.load(annotations: Fixtures.url("README.md"),
                                          results: Fixtures.url("cocoeval/noisy.json"))
        }
        #expect(text == "README.md: not valid JSON")
    }

    @Test("a missing ground-truth file is named")
    func missingFileIsNamed() throws {
        let text = message {
            _ = try CocoKeypointEval.load(annotations: URL(fileURLWithPath: "/nonexistent/GT.json"),
                                          results: URL(fileURLWithPath: "/nonexistent/R.json"))
        }
        #expect(text?.hasPrefix("/nonexistent/GT.json: cannot read") == true)
    }
}
