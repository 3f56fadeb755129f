// Person instances from a COCO detection results file, as SimpleBaseline `_load_coco_person_detection_results`:
// category 1 only, boxes scoring below `imageThreshold` dropped, joints zero and "visible".
import Foundation

/// One record of a COCO detection results file: `{image_id, category_id, bbox: [x, y, w, h], score}`.
public struct CocoDetection: Codable, Sendable, Equatable {
    public var imageId: Int
    public var categoryId: Int
    public var bbox: [Double]
    public var score: Double

    enum CodingKeys: String, CodingKey {
        case bbox, score
        case imageId = "image_id"
        case categoryId = "category_id"
    }

    public init(imageId: Int, categoryId: Int = 1, bbox: [Double], score: Double) {
        self.imageId = imageId
        self.categoryId = categoryId
        self.bbox = bbox
        self.score = score
    }
}

/// Detected persons for top-down evaluation.
public enum CocoDetections {
    /// Reads a detection results file and builds instances (no box cleaning, as the reference).
    /// - Parameters:
    ///   - imageDirectory: where `%012d.jpg` of each image id lives.
    ///   - imageThreshold: boxes with `score < imageThreshold` are dropped (SimpleBaseline `TEST.IMAGE_THRE`, 0.0 in its configs).
    public static func load(at url: URL, imageDirectory: URL, inputSize: GridSize = GridSize(width: 192, height: 256),
                            numJoints: Int = 17, imageThreshold: Double = 0.0) throws -> [PersonInstance] {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DatasetError.missingFile(path: url.path)
        }
        let detections: [CocoDetection]
        do {
            detections = try JSONDecoder().decode([CocoDetection].self, from: Data(contentsOf: url))
        } catch {
            throw DatasetError.invalidJSON(path: url.path, reason: describeDecodingError(error))
        }
        let toCenterScale = BoxToCenterScale(inputSize: inputSize)
        var instances: [PersonInstance] = []
        for (i, detection) in detections.enumerated() {
            guard detection.categoryId == 1 else { continue }
            guard detection.score >= imageThreshold else { continue }
            guard detection.bbox.count == 4 else {
                throw DatasetError.invalidJSON(path: url.path, reason: "[\(i)].bbox has \(detection.bbox.count) values, expected 4")
            }
            let b = detection.bbox
            let (center, scale) = toCenterScale(x: b[0], y: b[1], w: b[2], h: b[3])
            let name = String(format: "%012d.jpg", detection.imageId)
            instances.append(PersonInstance(
                imageId: detection.imageId, annotationId: nil,
                imagePath: imageDirectory.appendingPathComponent(name).path,
                center: center, scale: scale, score: detection.score,
                joints: Array(repeating: .zero, count: numJoints),
                jointsVisible: Array(repeating: 1, count: numJoints),
                paddedBoxSize: toCenterScale.paddedBoxSize(w: b[2], h: b[3])))
        }
        return instances
    }
}
