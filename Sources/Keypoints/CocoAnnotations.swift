// COCO annotation files (`person_keypoints_*.json`) as Codable values.
// Only the fields SwiftPose uses are decoded; others (segmentation, licenses, urls) are ignored.
import Foundation

/// One `images[]` record.
public struct CocoImage: Codable, Sendable, Equatable {
    public var id: Int
    public var fileName: String
    public var width: Int
    public var height: Int

    enum CodingKeys: String, CodingKey {
        case id, width, height
        case fileName = "file_name"
    }

    public init(id: Int, fileName: String, width: Int, height: Int) {
        self.id = id
        self.fileName = fileName
        self.width = width
        self.height = height
    }
}

/// One `annotations[]` record: a person with 17 × (x, y, v) keypoints and an `[x, y, w, h]` box.
public struct CocoAnnotation: Codable, Sendable, Equatable {
    public var id: Int
    public var imageId: Int
    public var categoryId: Int
    /// Flat `[x1, y1, v1, x2, y2, v2, …]`; v = 0 unlabelled, 1 labelled but occluded, 2 visible.
    public var keypoints: [Double]
    public var numKeypoints: Int
    /// `[x, y, w, h]` in pixels.
    public var bbox: [Double]
    public var area: Double
    public var iscrowd: Int

    enum CodingKeys: String, CodingKey {
        case id, keypoints, bbox, area, iscrowd
        case imageId = "image_id"
        case categoryId = "category_id"
        case numKeypoints = "num_keypoints"
    }

    public init(id: Int, imageId: Int, categoryId: Int = 1, keypoints: [Double], numKeypoints: Int,
                bbox: [Double], area: Double, iscrowd: Int = 0) {
        self.id = id
        self.imageId = imageId
        self.categoryId = categoryId
        self.keypoints = keypoints
        self.numKeypoints = numKeypoints
        self.bbox = bbox
        self.area = area
        self.iscrowd = iscrowd
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int.self, forKey: .id)
        imageId = try c.decode(Int.self, forKey: .imageId)
        categoryId = try c.decode(Int.self, forKey: .categoryId)
        keypoints = try c.decodeIfPresent([Double].self, forKey: .keypoints) ?? []
        numKeypoints = try c.decodeIfPresent(Int.self, forKey: .numKeypoints) ?? 0
        bbox = try c.decode([Double].self, forKey: .bbox)
        area = try c.decodeIfPresent(Double.self, forKey: .area) ?? 0
        iscrowd = try c.decodeIfPresent(Int.self, forKey: .iscrowd) ?? 0
    }
}

/// One `categories[]` record.
public struct CocoCategory: Codable, Sendable, Equatable {
    public var id: Int
    public var name: String
    public var keypoints: [String]?
    /// 1-based joint index pairs, as in the COCO files.
    public var skeleton: [[Int]]?

    public init(id: Int, name: String, keypoints: [String]? = nil, skeleton: [[Int]]? = nil) {
        self.id = id
        self.name = name
        self.keypoints = keypoints
        self.skeleton = skeleton
    }
}

/// A whole `person_keypoints_*.json` file.
public struct CocoKeypointFile: Codable, Sendable {
    public var images: [CocoImage]
    public var annotations: [CocoAnnotation]
    public var categories: [CocoCategory]

    public init(images: [CocoImage], annotations: [CocoAnnotation], categories: [CocoCategory]) {
        self.images = images
        self.annotations = annotations
        self.categories = categories
    }
}
