// COCO keypoint results: `[{image_id, category_id, keypoints: [x, y, s] * K, score}]`, read and written.
import Foundation

/// One detected person in the COCO results format; `keypoints` is flat `[x1, y1, s1, x2, y2, s2, …]`.
public struct KeypointResult: Codable, Sendable, Equatable {
    public var imageId: Int
    public var categoryId: Int
    public var keypoints: [Double]
    public var score: Double
    /// Optional `[x, y, w, h]`. pycocotools `loadRes` takes the area from it when the first result has one.
    public var bbox: [Double]?

    enum CodingKeys: String, CodingKey {
        case keypoints, score, bbox
        case imageId = "image_id"
        case categoryId = "category_id"
    }

    public init(imageId: Int, categoryId: Int = 1, keypoints: [Double], score: Double, bbox: [Double]? = nil) {
        self.imageId = imageId
        self.categoryId = categoryId
        self.keypoints = keypoints
        self.score = score
        self.bbox = bbox
    }
}

/// Reading and writing whole results files.
public enum KeypointResults {
    /// Decodes a results file; errors name the file and, where it applies, the result's index.
    public static func load(from url: URL) throws -> [KeypointResult] {
        let data = try readFile(url)
        return try decode(data, file: url.lastPathComponent)
    }

    /// Decodes results JSON; `file` names the source in error messages.
    public static func decode(_ data: Data, file: String) throws -> [KeypointResult] {
        try decodeJSON([KeypointResult].self, from: data, file: file, what: "results must be an array of objects")
    }

    /// Writes results as JSON to a temporary file beside `url` and renames it into place,
    /// so `url` holds either the old file or the whole new one.
    public static func write(_ results: [KeypointResult], to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(results)
        } catch {
            throw EvalError.writeFailed(file: url.lastPathComponent, reason: "\(error)")
        }
        try writeAtomically(data, to: url)
    }
}

/// Writes `data` to `url.tmp-<pid>` and renames it onto `url`; removes the temporary file on failure.
func writeAtomically(_ data: Data, to url: URL) throws {
    let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
    do {
        try data.write(to: temporary)
    } catch {
        throw EvalError.writeFailed(file: url.path, reason: error.localizedDescription)
    }
    if rename(temporary.path, url.path) != 0 {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: temporary)
        throw EvalError.writeFailed(file: url.path, reason: reason)
    }
}

func readFile(_ url: URL) throws -> Data {
    do {
        return try Data(contentsOf: url)
    } catch {
        throw EvalError.unreadable(file: url.path, reason: error.localizedDescription)
    }
}

/// Decodes `T`, turning `DecodingError` into a one-line `EvalError` naming the file and the record.
func decodeJSON<T: Decodable>(_ type: T.Type, from data: Data, file: String, what: String) throws -> T {
    do {
        return try JSONDecoder().decode(type, from: data)
    } catch let error as DecodingError {
        if case let .dataCorrupted(context) = error, context.codingPath.isEmpty,
           (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) == nil {
            throw EvalError.notJSON(file: file)
        }
        throw EvalError.malformed(file: file, detail: describe(error, topLevel: what))
    }
}

private func describe(_ error: DecodingError, topLevel: String) -> String {
    func path(_ codingPath: [CodingKey]) -> String {
        codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
    }
    switch error {
    case let .keyNotFound(key, context):
        let at = path(context.codingPath)
        return "missing key '\(key.stringValue)'" + (at.isEmpty ? "" : " at \(at)")
    case let .typeMismatch(type, context), let .valueNotFound(type, context):
        let at = path(context.codingPath)
        return at.isEmpty ? topLevel : "\(at) is not a valid \(type)"
    case let .dataCorrupted(context):
        let at = path(context.codingPath)
        return at.isEmpty ? context.debugDescription : "\(at): \(context.debugDescription)"
    @unknown default:
        return "\(error)"
    }
}
