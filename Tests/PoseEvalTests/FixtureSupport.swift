// Locating the test fixtures (bundled) and the shared COCO data (beside the repository).
import Foundation
import Testing

enum Fixtures {
    /// `Fixtures/<path>` from the test bundle.
    static func url(_ path: String) throws -> URL {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil),
                                "Fixtures directory missing from the PoseEvalTests bundle")
        return root.appendingPathComponent(path)
    }

    static func data(_ path: String) throws -> Data {
        try Data(contentsOf: url(path))
    }

    static func json<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        try JSONDecoder().decode(type, from: data(path))
    }

    /// `../shared/data/coco-small` next to the directory holding Package.swift, found from this file's path.
    static func cocoSmall(filePath: String = #filePath) throws -> URL {
        var directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            let parent = directory.deletingLastPathComponent()
            try #require(parent.path != directory.path, "no Package.swift above \(filePath)")
            directory = parent
        }
        let data = directory.appendingPathComponent("../shared/data/coco-small").standardizedFileURL
        try #require(FileManager.default.fileExists(atPath: data.appendingPathComponent("annotations").path),
                     "shared COCO data not found at \(data.path) (expected ../shared/data/coco-small beside the repository)")
        return data
    }

    static func valAnnotations() throws -> URL {
        try cocoSmall().appendingPathComponent("annotations/person_keypoints_val2017.json")
    }
}
