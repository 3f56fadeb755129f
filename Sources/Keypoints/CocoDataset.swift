// The COCO person-keypoint dataset as SimpleBaseline/HRNet builds it (`lib/dataset/coco.py`):
// boxes cleaned and clipped to the image, crowd and keypoint-less persons skipped, boxes turned into
// (center, scale) with the input aspect ratio, pixel_std 200 and ×1.25 padding. K = number of joints.
import Foundation

/// Something wrong in a dataset that does not stop loading: reported by `swiftpose data`.
public struct DatasetProblem: Sendable, Equatable, CustomStringConvertible {
    /// What is wrong; the raw value is the `kind` of `swiftpose data --json`.
    public enum Kind: String, Sendable, Codable {
        /// An image listed in the file has no file in `ROOT/{split}/`.
        case missingImageFile = "missing_image_file"
        /// `keypoints` does not hold 3 × K numbers; the annotation is skipped.
        case badKeypointArray = "bad_keypoint_array"
        /// `bbox` is not 4 numbers, or SimpleBaseline's box cleaning rejects it (area <= 0, empty after clipping); skipped.
        case degenerateBox = "degenerate_box"
    }
    public var kind: Kind
    public var imageId: Int
    /// `nil` for image-level problems.
    public var annotationId: Int?
    /// One line naming the image/annotation and what was wrong.
    public var message: String

    public var description: String { message }
}

/// A COCO keypoint split (`ROOT/annotations/person_keypoints_{split}.json`, images in `ROOT/{split}/`).
public struct CocoDataset: Sendable {
    /// The dataset root (holds `annotations/` and the image folders).
    public let root: URL
    /// `train2017`, `val2017`, …
    public let split: String
    /// The parsed annotation file.
    public let annotations: CocoKeypointFile
    /// Persons to train or evaluate on, in SimpleBaseline's order (image order of the file, then annotation order).
    public let instances: [PersonInstance]
    /// Problems found while loading (degenerate boxes, bad keypoint arrays when not strict, missing images).
    public let problems: [DatasetProblem]

    /// The annotation file of a split: `ROOT/annotations/person_keypoints_{split}.json`.
    public static func annotationURL(root: URL, split: String) -> URL {
        root.appendingPathComponent("annotations").appendingPathComponent("person_keypoints_\(split).json")
    }

    /// Loads a split.
    /// - Parameters:
    ///   - inputSize: network input size; its aspect ratio shapes every box (192x256 → 0.75).
    ///   - strict: throw on a keypoint array of the wrong length (default); when false, record it as a
    ///     problem and skip that annotation.
    ///   - checkImageFiles: record every image whose file is missing as a problem.
    public init(root: URL, split: String, inputSize: GridSize = GridSize(width: 192, height: 256),
                metainfo: KeypointMetainfo = .coco, strict: Bool = true, checkImageFiles: Bool = false) throws {
        self.root = root
        self.split = split
        let url = Self.annotationURL(root: root, split: split)
        let file = try Self.loadAnnotationFile(at: url)
        self.annotations = file
        var problems: [DatasetProblem] = []
        let imageDirectory = root.appendingPathComponent(split)
        let toCenterScale = BoxToCenterScale(inputSize: inputSize)
        let k = metainfo.numJoints

        var annotationsByImage: [Int: [CocoAnnotation]] = [:]
        for annotation in file.annotations {
            annotationsByImage[annotation.imageId, default: []].append(annotation)
        }

        var instances: [PersonInstance] = []
        for image in file.images {
            let imagePath = imageDirectory.appendingPathComponent(image.fileName).path
            if checkImageFiles && !FileManager.default.fileExists(atPath: imagePath) {
                problems.append(DatasetProblem(kind: .missingImageFile, imageId: image.id, annotationId: nil,
                                               message: "image \(image.id): file \(imagePath) not found"))
            }
            for annotation in annotationsByImage[image.id] ?? [] where annotation.iscrowd == 0 {
                guard annotation.bbox.count == 4 else {
                    if strict {
                        throw DatasetError.badBox(path: url.path, annotationId: annotation.id, count: annotation.bbox.count)
                    }
                    problems.append(DatasetProblem(kind: .degenerateBox, imageId: image.id, annotationId: annotation.id,
                                                   message: DatasetError.badBox(path: url.lastPathComponent, annotationId: annotation.id, count: annotation.bbox.count).description))
                    continue
                }
                guard annotation.keypoints.count == 3 * k else {
                    let error = DatasetError.badKeypointArray(path: url.path, annotationId: annotation.id,
                                                              count: annotation.keypoints.count, expected: 3 * k)
                    if strict { throw error }
                    problems.append(DatasetProblem(kind: .badKeypointArray, imageId: image.id, annotationId: annotation.id,
                                                   message: DatasetError.badKeypointArray(path: url.lastPathComponent, annotationId: annotation.id, count: annotation.keypoints.count, expected: 3 * k).description))
                    continue
                }
                // Sanitize the box exactly as `_load_coco_keypoint_annotation_kernal`.
                guard let clean = Self.cleanBox(annotation.bbox, area: annotation.area,
                                                imageWidth: image.width, imageHeight: image.height) else {
                    problems.append(DatasetProblem(
                        kind: .degenerateBox, imageId: image.id, annotationId: annotation.id,
                        message: "image \(image.id) annotation \(annotation.id): degenerate box \(annotation.bbox) "
                            + "(area \(annotation.area)) in a \(image.width)x\(image.height) image"))
                    continue
                }
                guard annotation.categoryId == 1 else { continue }
                // The reference skips a person when max(obj['keypoints']) == 0 (every x, y and v is 0).
                guard (annotation.keypoints.max() ?? 0) != 0 else { continue }

                var joints: [SIMD2<Double>] = []
                var visible: [Double] = []
                joints.reserveCapacity(k)
                visible.reserveCapacity(k)
                for j in 0..<k {
                    joints.append(SIMD2(annotation.keypoints[3 * j], annotation.keypoints[3 * j + 1]))
                    visible.append(min(annotation.keypoints[3 * j + 2], 1))
                }
                let (center, scale) = toCenterScale(x: clean[0], y: clean[1], w: clean[2], h: clean[3])
                instances.append(PersonInstance(imageId: image.id, annotationId: annotation.id, imagePath: imagePath,
                                                center: center, scale: scale, score: 1,
                                                joints: joints, jointsVisible: visible,
                                                paddedBoxSize: toCenterScale.paddedBoxSize(w: clean[2], h: clean[3])))
            }
        }
        self.instances = instances
        self.problems = problems
    }

    /// SimpleBaseline's box cleaning: clip `[x, y, w, h]` to the image; `nil` unless area > 0, x2 >= x1, y2 >= y1.
    /// Returns the clean `[x1, y1, x2 - x1, y2 - y1]`.
    public static func cleanBox(_ box: [Double], area: Double, imageWidth: Int, imageHeight: Int) -> [Double]? {
        let (x, y, w, h) = (box[0], box[1], box[2], box[3])
        let x1 = max(0, x)
        let y1 = max(0, y)
        let x2 = min(Double(imageWidth - 1), x1 + max(0, w - 1))
        let y2 = min(Double(imageHeight - 1), y1 + max(0, h - 1))
        guard area > 0 && x2 >= x1 && y2 >= y1 else { return nil }
        return [x1, y1, x2 - x1, y2 - y1]
    }

    /// Reads and decodes `person_keypoints_*.json`; errors name the file.
    public static func loadAnnotationFile(at url: URL) throws -> CocoKeypointFile {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DatasetError.missingFile(path: url.path)
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DatasetError.invalidJSON(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(CocoKeypointFile.self, from: data)
        } catch {
            throw DatasetError.invalidJSON(path: url.path, reason: describeDecodingError(error))
        }
    }

    /// The image file of an image id in this split.
    public func imageURL(for image: CocoImage) -> URL {
        root.appendingPathComponent(split).appendingPathComponent(image.fileName)
    }

    /// Number of images with at least one instance.
    public var imagesWithPersons: Int { Set(instances.map(\.imageId)).count }
}

/// One line for a `DecodingError`: what was wrong and at which key path.
func describeDecodingError(_ error: Error) -> String {
    func path(_ keys: [CodingKey]) -> String {
        keys.isEmpty ? "top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    guard let error = error as? DecodingError else { return "\(error)" }
    switch error {
    case .dataCorrupted(let context):
        let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
        return "data corrupted at \(path(context.codingPath)) (truncated or not JSON\(underlying.map { ": " + $0 } ?? ""))"
    case .keyNotFound(let key, let context):
        return "missing key '\(key.stringValue)' at \(path(context.codingPath))"
    case .typeMismatch(let type, let context):
        return "expected \(type) at \(path(context.codingPath))"
    case .valueNotFound(let type, let context):
        return "expected \(type) at \(path(context.codingPath)), found null"
    @unknown default:
        return "\(error)"
    }
}
