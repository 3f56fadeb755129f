// Errors of the data pipeline: one line each, naming the file or key, what was wrong and what was expected.
import Foundation

/// Everything that can go wrong while reading a COCO-style dataset.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    /// The annotation (or detection) file does not exist.
    case missingFile(path: String)
    /// The file exists but is not valid JSON of the expected shape (truncated, wrong types, missing keys).
    case invalidJSON(path: String, reason: String)
    /// An annotation's `keypoints` array does not hold `3 * K` numbers.
    case badKeypointArray(path: String, annotationId: Int, count: Int, expected: Int)
    /// An annotation's `bbox` is not `[x, y, w, h]`.
    case badBox(path: String, annotationId: Int, count: Int)
    /// An image file could not be read or decoded.
    case unreadableImage(path: String, reason: String)
    /// A split name other than `train2017` / `val2017` style names was given where a file is derived from it.
    case unknownSplit(String)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): file not found"
        case .invalidJSON(let path, let reason):
            return "\(path): invalid JSON: \(reason)"
        case .badKeypointArray(let path, let id, let count, let expected):
            return "\(path): annotation \(id) has \(count) keypoint values, expected \(expected) (K x [x, y, v])"
        case .badBox(let path, let id, let count):
            return "\(path): annotation \(id) has a bbox of \(count) values, expected 4 ([x, y, w, h])"
        case .unreadableImage(let path, let reason):
            return "\(path): cannot read image: \(reason)"
        case .unknownSplit(let split):
            return "unknown split '\(split)', expected a name like train2017 or val2017"
        }
    }
}
