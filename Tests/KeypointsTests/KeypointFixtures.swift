// Reading the fixtures written by Tools/fixtures/make_keypoint_fixtures.py.
import Foundation
@testable import Keypoints

enum KeypointFixtures {
    struct Instance: Decodable {
        let image_id: Int
        let annotation_id: Int
        let center: [Double]
        let scale: [Double]
    }
    struct Split: Decodable {
        let images: Int
        let images_with_persons: Int
        let instances: Int
        let list: [Instance]
    }
    struct Detection: Decodable {
        let image_id: Int
        let score: Double
        let center: [Double]
        let scale: [Double]
    }
    struct Detections: Decodable {
        let image_thre: Double
        let instances: Int
        let first: [Detection]
    }
    struct Instances: Decodable {
        let train2017: Split
        let val2017: Split
        let detections_val2017: Detections
    }
    struct Crop: Decodable {
        let file: String
        let image_id: Int
        let annotation_id: Int
        let center: [Double]
        let scale: [Double]
        let rotation: Double
        let matrix: [Double]
        let png: String
        let crop_joints: [[Double]]
        let vis: [Double]
    }
    struct Crops: Decodable {
        let opencv: String
        let crops: [Crop]
    }
    struct TargetCase: Decodable {
        let input_size: [Int]
        let heatmap_size: [Int]
        let sigma: Double
        let joints: [[Double]]
        let vis: [Double]
        let weights: [Double]
        let values: [Double]
        let runs: [Run]

        /// `[first flat index, [value ids]]`.
        struct Run: Decodable {
            let start: Int
            let ids: [Int]
            init(from decoder: Decoder) throws {
                var c = try decoder.unkeyedContainer()
                start = try c.decode(Int.self)
                ids = try c.decode([Int].self)
            }
        }

        /// The dense [K, H, W] reference target.
        func dense() -> [Float] {
            var out = [Float](repeating: 0, count: joints.count * heatmap_size[0] * heatmap_size[1])
            for run in runs {
                for (i, id) in run.ids.enumerated() { out[run.start + i] = Float(values[id]) }
            }
            return out
        }
    }
    struct Targets: Decodable { let cases: [TargetCase] }
    struct DecodePerson: Decodable {
        let png: String
        let center: [Double]
        let scale: [Double]
        let preds: [[Double]]
        let heatmap_coords: [[Double]]
        let maxvals: [Double]
        let dark_coords: [[Double]]
        let udp_input_coords: [[Double?]]
    }
    struct UDPCase: Decodable {
        let joints: [[Double]]
        let vis: [Double]
        let weights: [Double]
        let max_per_joint: [Double]
        let argmax_per_joint: [Int]
        let sum_per_joint: [Double]
    }
    struct UDPTargets: Decodable { let cases: [UDPCase] }
    struct Decode: Decodable {
        let heatmap_size: [Int]
        let persons: [DecodePerson]
    }

    /// The 17 stacked 64x48 maps of a decode fixture PNG as float32 `u8 / 255`.
    static func heatmaps(_ name: String) throws -> [Float] {
        let stacked = try image(name)
        return (0..<(48 * 64 * 17)).map { Float(stacked.pixels[$0 * stacked.channels]) / Float(255) }
    }

    static func load<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: ImageTestData.fixture("keypoints/\(name)")))
    }

    static func image(_ name: String) throws -> Image {
        try decodeImage(at: ImageTestData.fixture("keypoints/\(name)"))
    }
}

/// A scratch directory removed at the end of the test.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("swiftpose-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}
