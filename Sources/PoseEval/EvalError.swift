// Errors of the evaluation target: one line each, naming the file, the record and what was expected.

/// Everything that can go wrong reading ground truth or results, or writing results.
public enum EvalError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read at all.
    case unreadable(file: String, reason: String)
    /// The bytes are not JSON.
    case notJSON(file: String)
    /// JSON, but not the expected structure (a missing key, a wrong type).
    case malformed(file: String, detail: String)
    /// A results file with an empty array (pycocotools fails on `anns[0]`).
    case noResults(file: String)
    /// A result whose `keypoints` array is not `3 * K` long.
    case wrongKeypointCount(file: String, index: Int, count: Int, expected: Int)
    /// A ground-truth annotation whose `keypoints` is neither empty nor `3 * K` long.
    case wrongGroundTruthKeypointCount(file: String, annotationId: Int, count: Int, expected: Int)
    /// When the first result has a `bbox`, pycocotools takes every result's area from its `bbox`.
    case missingBBox(file: String, index: Int)
    /// A result for an image that the ground truth does not list.
    case unknownImage(imageId: Int, groundTruth: String)
    /// Writing a results file failed; nothing was left at the destination.
    case writeFailed(file: String, reason: String)
    /// A detection results file names an image the split does not list.
    case unknownDetectionImage(file: String, imageId: Int, groundTruth: String)
    /// Nothing to evaluate: no person box in the split (or above the detection score threshold).
    case noInstances(split: String, boxes: String)
    /// The network closure returned the wrong number of heatmap values for its batch.
    case badNetworkOutput(count: Int, expected: Int, shape: [Int])

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read: \(reason)"
        case let .notJSON(file):
            return "\(file): not valid JSON"
        case let .malformed(file, detail):
            return "\(file): \(detail)"
        case let .noResults(file):
            return "\(file): no results (the array is empty)"
        case let .wrongKeypointCount(file, index, count, expected):
            return "\(file): result \(index) has \(count) keypoint values, expected \(expected) (x, y, score per joint)"
        case let .wrongGroundTruthKeypointCount(file, annotationId, count, expected):
            return "\(file): annotation id \(annotationId) has \(count) keypoint values, expected 0 or \(expected)"
        case let .missingBBox(file, index):
            return "\(file): result \(index) has no bbox, but result 0 has one (pycocotools then takes every area from bbox)"
        case let .unknownImage(imageId, groundTruth):
            return "results reference image id \(imageId) which is not in \(groundTruth)"
        case let .writeFailed(file, reason):
            return "\(file): cannot write: \(reason)"
        case let .unknownDetectionImage(file, imageId, groundTruth):
            return "\(file): detection for image id \(imageId), which is not in \(groundTruth)"
        case let .noInstances(split, boxes):
            return "\(split): no person to evaluate with \(boxes)"
        case let .badNetworkOutput(count, expected, shape):
            return "network returned \(count) heatmap values, expected \(expected) (\(shape))"
        }
    }
}
