// COCO keypoint evaluation reproducing pycocotools: `COCO.loadRes` for keypoint results, then
// `COCOeval(gt, dt, 'keypoints')` `evaluate()`, `accumulate()`, `summarize()`.
import Foundation
import Keypoints

/// The outcome of a keypoint evaluation: the 10 summary stats, the printed table and the raw arrays.
public struct CocoEvalSummary: Sendable {
    /// AP, AP50, AP75, APm, APl, AR, AR50, AR75, ARm, ARl (pycocotools `stats`).
    public var stats: [Double]
    /// The 10 lines pycocotools `summarize()` prints.
    public var lines: [String]
    public var accumulation: CocoEvalAccumulation
}

/// Ground truth and results ready to evaluate, as after pycocotools `loadRes` and `_prepare`.
public struct CocoKeypointEval {
    public let params: CocoEvalParams
    /// Ground-truth image ids, ascending and unique (`p.imgIds`).
    let imageIds: [Int]
    /// Category ids, ascending and unique (`p.catIds`).
    let categoryIds: [Int]
    let groundTruths: [Key: [EvalGroundTruth]]
    let detections: [Key: [EvalDetection]]

    struct Key: Hashable {
        var imageId: Int
        var categoryId: Int
    }

    /// Checks and prepares results against a ground truth, as pycocotools `loadRes` + `COCOeval._prepare`.
    ///
    /// Detections get ids 1, 2, … in file order and, as `loadRes` does for keypoint results, the area and
    /// box of their keypoints' extent (or, when the first result has a `bbox`, `w * h` of each result's bbox).
    /// Results of categories absent from the ground truth are dropped, as `getAnnIds(catIds=…)` does.
    /// - Parameters:
    ///   - groundTruthName: how error messages name the ground truth (its file name).
    ///   - resultsName: how error messages name the results (their file name).
    public init(groundTruth: CocoKeypointFile, results: [KeypointResult], params: CocoEvalParams = .keypoints,
                groundTruthName: String = "the ground truth", resultsName: String = "results") throws {
        self.params = params
        let k = params.sigmas.count
        imageIds = Array(Set(groundTruth.images.map(\.id))).sorted()
        categoryIds = Array(Set(groundTruth.categories.map(\.id))).sorted()
        let imageSet = Set(imageIds), categorySet = Set(categoryIds)

        guard !results.isEmpty else { throw EvalError.noResults(file: resultsName) }
        if let stray = results.first(where: { !imageSet.contains($0.imageId) }) {
            throw EvalError.unknownImage(imageId: stray.imageId, groundTruth: groundTruthName)
        }
        if let bad = results.firstIndex(where: { $0.keypoints.count != 3 * k }) {
            throw EvalError.wrongKeypointCount(file: resultsName, index: bad, count: results[bad].keypoints.count,
                                               expected: 3 * k)
        }
        // loadRes: `'bbox' in anns[0] and not anns[0]['bbox'] == []` selects the bbox branch for all results.
        let areaFromBBox = !(results[0].bbox ?? []).isEmpty
        if areaFromBBox {
            if let bad = results.firstIndex(where: { $0.bbox == nil }) {
                throw EvalError.missingBBox(file: resultsName, index: bad)
            }
            if let bad = results.firstIndex(where: { $0.bbox!.count != 4 }) {
                throw EvalError.malformed(file: resultsName,
                                          detail: "result \(bad) has a bbox of \(results[bad].bbox!.count) values, expected 4")
            }
        }

        var gts = [Key: [EvalGroundTruth]]()
        for ann in groundTruth.annotations where imageSet.contains(ann.imageId) && categorySet.contains(ann.categoryId) {
            guard ann.keypoints.isEmpty || ann.keypoints.count == 3 * k else {
                throw EvalError.wrongGroundTruthKeypointCount(file: groundTruthName, annotationId: ann.id,
                                                              count: ann.keypoints.count, expected: 3 * k)
            }
            guard ann.bbox.count == 4 else {
                throw EvalError.malformed(file: groundTruthName,
                                          detail: "annotation id \(ann.id) has a bbox of \(ann.bbox.count) values, expected 4")
            }
            // _prepare: ignore = iscrowd, or (keypoints) num_keypoints == 0.
            let isCrowd = ann.iscrowd != 0
            gts[Key(imageId: ann.imageId, categoryId: ann.categoryId), default: []].append(EvalGroundTruth(
                id: ann.id, keypoints: ann.keypoints, bbox: ann.bbox, area: ann.area, isCrowd: isCrowd,
                ignore: ann.numKeypoints == 0 || isCrowd))
        }
        var dts = [Key: [EvalDetection]]()
        for (index, result) in results.enumerated() where categorySet.contains(result.categoryId) {
            let (area, bbox) = areaFromBBox ? (result.bbox![2] * result.bbox![3], result.bbox!)
                                            : keypointExtent(result.keypoints)
            dts[Key(imageId: result.imageId, categoryId: result.categoryId), default: []].append(EvalDetection(
                id: index + 1, keypoints: result.keypoints, bbox: bbox, area: area, score: result.score))
        }
        groundTruths = gts
        detections = dts
    }

    /// Reads the ground truth and results files and prepares them; errors name the files.
    public static func load(annotations: URL, results: URL, params: CocoEvalParams = .keypoints) throws -> CocoKeypointEval {
        let gtName = annotations.lastPathComponent
        let groundTruth = try decodeJSON(CocoKeypointFile.self, from: readFile(annotations), file: gtName,
                                         what: "ground truth must be an object with images, annotations, categories")
        let detections = try KeypointResults.load(from: results)
        return try CocoKeypointEval(groundTruth: groundTruth, results: detections, params: params,
                                    groundTruthName: gtName, resultsName: results.lastPathComponent)
    }

    /// Runs pycocotools `evaluate()`, `accumulate()` and `summarize()` and returns the stats and table.
    public func evaluate() -> CocoEvalSummary {
        let maxDet = params.maxDets.last ?? 0
        var evaluations = [[[ImageEvaluation?]]]()
        for categoryId in categoryIds {
            // computeOks once per image, on detections sorted by score (stable) and cut to maxDets[-1].
            var perImage = [(dts: [EvalDetection], gts: [EvalGroundTruth], ious: [Double])]()
            for imageId in imageIds {
                let key = Key(imageId: imageId, categoryId: categoryId)
                let all = detections[key] ?? []
                let dts = stableOrderByDescendingScore(all.map(\.score)).prefix(maxDet).map { all[$0] }
                let gts = groundTruths[key] ?? []
                perImage.append((dts, gts, computeOks(detections: dts, groundTruths: gts, sigmas: params.sigmas)))
            }
            evaluations.append(params.areaRanges.map { range in
                perImage.map {
                    evaluateImage(detections: $0.dts, groundTruths: $0.gts, ious: $0.ious,
                                  areaRange: (range.low, range.high), iouThresholds: params.iouThresholds)
                }
            })
        }
        let acc = accumulate(evaluations, params: params)
        let stats = SummaryEntry.keypoints.map { summarize($0, acc, params: params) }
        let lines = zip(SummaryEntry.keypoints, stats).map { summaryLine($0, value: $1, params: params) }
        return CocoEvalSummary(stats: stats, lines: lines, accumulation: acc)
    }
}

/// Area `(x1 - x0) * (y1 - y0)` and bbox `[x0, y0, x1 - x0, y1 - y0]` of all keypoints (scores ignored,
/// every joint counts), as pycocotools `loadRes` for keypoint results.
func keypointExtent(_ keypoints: [Double]) -> (area: Double, bbox: [Double]) {
    let xs = stride(from: 0, to: keypoints.count, by: 3).map { keypoints[$0] }
    let ys = stride(from: 1, to: keypoints.count, by: 3).map { keypoints[$0] }
    guard let x0 = xs.min(), let x1 = xs.max(), let y0 = ys.min(), let y1 = ys.max() else { return (0, [0, 0, 0, 0]) }
    return ((x1 - x0) * (y1 - y0), [x0, y0, x1 - x0, y1 - y0])
}
