// Where the tests find their inputs: the shared COCO subset beside the checkout, and the Fixtures folder.
import Foundation

enum ImageTestData {
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    /// The package root: the nearest folder above this file that holds `Package.swift`.
    static func packageRoot(filePath: String = #filePath) throws -> URL {
        var dir = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        throw Missing(description: "no Package.swift above \(filePath)")
    }

    /// `../shared/data/coco-small` next to the package root; fails with a clear message when absent.
    static func cocoSmall() throws -> URL {
        let url = try packageRoot().deletingLastPathComponent().appendingPathComponent("shared/data/coco-small")
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent("annotations").path) else {
            throw Missing(description: "shared COCO subset not found at \(url.standardized.path): "
                + "these tests read real images from ../shared/data/coco-small beside the checkout")
        }
        return url
    }

    /// A file in `Tests/KeypointsTests/Fixtures`.
    static func fixture(_ relativePath: String) throws -> URL {
        guard let base = Bundle.module.resourceURL else { throw Missing(description: "no resource bundle") }
        let url = base.appendingPathComponent("Fixtures").appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw Missing(description: "fixture \(relativePath) missing; see Tools/fixtures/")
        }
        return url
    }
}

/// CRC-32 (zlib's polynomial), to compare decoded pixels against fixtures without storing whole images.
func imageCRC32(_ bytes: [UInt8]) -> UInt32 {
    var table = [UInt32](repeating: 0, count: 256)
    for i in 0..<256 {
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        table[i] = c
    }
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}
