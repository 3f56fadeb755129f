import CTurboJPEG
import Foundation
import Testing
@testable import Keypoints

@Suite("Image codec")
struct ImageCodecTests {
    struct DecodeFixture: Decodable {
        struct Sample: Decodable { let x: Int, y: Int, rgb: [Int] }
        struct Entry: Decodable {
            let file: String, width: Int, height: Int, crc32: UInt32, channelSums: [Int], samples: [Sample]
        }
        let images: [Entry]
    }

    struct FormatFixture: Decodable { let width: Int, height: Int, rgb: [Int] }

    static func randomImage(width: Int, height: Int, seed: UInt64) -> Image {
        var state = seed
        let pixels = (0..<width * height * 3).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        return Image(width: width, height: height, pixels: pixels)
    }

    /// A smooth image (JPEG-friendly), for lossy round trips.
    static func smoothImage(width: Int, height: Int) -> Image {
        var image = Image(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                image.pixels[i] = UInt8(x * 255 / (width - 1))
                image.pixels[i + 1] = UInt8(y * 255 / (height - 1))
                image.pixels[i + 2] = UInt8((x + y) * 127 / (width + height))
            }
        }
        return image
    }

    @Test("decoded COCO JPEGs equal OpenCV's decode byte for byte")
    func jpegMatchesOpenCV() throws {
        let root = try ImageTestData.cocoSmall()
        let fixture = try JSONDecoder().decode(
            DecodeFixture.self, from: Data(contentsOf: ImageTestData.fixture("image_decode.json")))
        #expect(fixture.images.count == 5)
        for entry in fixture.images {
            let image = try decodeImage(at: root.appendingPathComponent(entry.file))
            #expect(image.width == entry.width && image.height == entry.height && image.channels == 3, "\(entry.file)")
            var sums = [0, 0, 0]
            for (i, v) in image.pixels.enumerated() { sums[i % 3] += Int(v) }
            #expect(sums == entry.channelSums, "\(entry.file) channel sums")
            for s in entry.samples {
                let i = (s.y * image.width + s.x) * 3
                #expect(image.pixels[i..<i + 3].map(Int.init) == s.rgb, "\(entry.file) pixel (\(s.x), \(s.y))")
            }
            #expect(imageCRC32(image.pixels) == entry.crc32, "\(entry.file) CRC-32 of the RGB bytes")
        }
    }

    @Test("gray, 16-bit, alpha PNGs and gray JPEGs decode to RGB as OpenCV does (alpha composited on black)")
    func formatsDecodeToRGB() throws {
        let expected = try JSONDecoder().decode(
            [String: FormatFixture].self, from: Data(contentsOf: ImageTestData.fixture("formats/expected.json")))
        for (name, want) in expected.sorted(by: { $0.key < $1.key }) {
            let image = try decodeImage(at: ImageTestData.fixture("formats/\(name)"))
            #expect(image.width == want.width && image.height == want.height && image.channels == 3, "\(name)")
            var rgb = want.rgb
            if name == "rgba.png" {  // OpenCV drops alpha; we composite on black: right half is transparent.
                for y in 0..<want.height {
                    for x in want.width / 2..<want.width { for c in 0..<3 { rgb[(y * want.width + x) * 3 + c] = 0 } }
                }
            }
            let maxDiff = zip(image.pixels, rgb).map { abs(Int($0) - $1) }.max() ?? 0
            #expect(maxDiff == 0, "\(name): max difference \(maxDiff) from OpenCV")
        }
    }

    @Test("PNG encode then decode returns the same pixels")
    func pngRoundTrip() throws {
        let image = Self.randomImage(width: 37, height: 23, seed: 1)
        let data = try encodePNG(image)
        #expect(ImageFormat(magic: data) == .png)
        #expect(try decodeImage(data: data, name: "round.png") == image)
    }

    @Test("JPEG encode then decode stays close to the original")
    func jpegRoundTrip() throws {
        let image = Self.smoothImage(width: 64, height: 48)
        let data = try encodeJPEG(image, quality: 95)
        #expect(ImageFormat(magic: data) == .jpeg)
        let back = try decodeImage(data: data, name: "round.jpg")
        #expect(back.width == 64 && back.height == 48)
        let diffs = zip(image.pixels, back.pixels).map { abs(Int($0) - Int($1)) }
        let mean = Double(diffs.reduce(0, +)) / Double(diffs.count)
        #expect(mean < 2.0, "mean abs difference \(mean)")  // q95 on a smooth image: ~1 level of error
        #expect(diffs.max()! <= 16, "max abs difference \(diffs.max()!)")
    }

    @Test("a CMYK JPEG decodes to RGB")
    func cmykJPEGDecodesToRGB() throws {
        // 16x16 CMYK in the Adobe inverted convention (255 = no ink), so (c, m, y, k) = (0, 255, 0, 255) is green.
        let w = 16, h = 16
        var cmyk = [UInt8](repeating: 0, count: w * h * 4)
        for i in 0..<w * h { cmyk[4 * i] = 0; cmyk[4 * i + 1] = 255; cmyk[4 * i + 2] = 0; cmyk[4 * i + 3] = 255 }
        let handle = try #require(tjInitCompress())
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = tjCompress2(handle, cmyk, Int32(w), Int32(w * 4), Int32(h), Int32(TJPF_CMYK.rawValue),
                                 &buffer, &size, Int32(TJSAMP_444.rawValue), 95, 0)
        #expect(status == 0)
        let data = Data(bytes: try #require(buffer), count: Int(size))
        tjFree(buffer)
        let image = try decodeImage(data: data, name: "cmyk.jpg")
        #expect(image.channels == 3)
        let (r, g, b) = (Int(image.pixels[0]), Int(image.pixels[1]), Int(image.pixels[2]))
        #expect(r < 8 && g > 245 && b < 8, "got (\(r), \(g), \(b))")
    }

    @Test("a truncated JPEG throws corruptJPEG naming the file")
    func truncatedJPEGThrows() throws {
        let data = try encodeJPEG(Self.smoothImage(width: 64, height: 48))
        for cut in [data.count / 2, 200, 20, 3] {
            #expect(throws: ImageError.self) { try decodeImage(data: data.prefix(cut), name: "x.jpg") }
            do {
                _ = try decodeImage(data: data.prefix(cut), name: "x.jpg")
            } catch {
                #expect("\(error)".hasPrefix("x.jpg: corrupt JPEG data ("), "\(error)")
            }
        }
    }

    @Test("garbage bytes, empty data and corrupt PNGs throw, never crash")
    func garbageThrows() throws {
        var state: UInt64 = 99
        let garbage = Data((0..<1000).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1
            return UInt8(truncatingIfNeeded: state >> 40)
        })
        #expect(throws: ImageError.unknownFormat(name: "g.bin", firstBytes: garbage.prefix(8)
            .map { String(format: "%02x", $0) }.joined(separator: " "))) {
            try decodeImage(data: garbage, name: "g.bin")
        }
        #expect(throws: ImageError.self) { try decodeImage(data: Data(), name: "empty.jpg") }
        // Valid magic bytes followed by garbage.
        #expect(throws: ImageError.self) { try decodeImage(data: Data([0xFF, 0xD8, 0xFF]) + garbage, name: "g.jpg") }
        let png = try encodePNG(Self.randomImage(width: 20, height: 20, seed: 3))
        #expect(throws: ImageError.self) { try decodeImage(data: png.prefix(png.count / 2), name: "half.png") }
        var flipped = png
        flipped[png.count / 2] ^= 0xFF
        #expect(throws: ImageError.self) { try decodeImage(data: flipped, name: "flipped.png") }
    }

    @Test("bit-flipped JPEGs and PNGs either decode or throw ImageError, never crash")
    func mutatedFilesNeverCrash() throws {
        let image = Self.smoothImage(width: 48, height: 40)
        var state: UInt64 = 2024
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        for original in [try encodeJPEG(image), try encodePNG(image)] {
            for _ in 0..<150 {
                var data = original
                for _ in 0..<(1 + next() % 4) {
                    let i = 8 + next() % (data.count - 8)  // keep the magic bytes
                    data[i] ^= UInt8(1 << (next() % 8))
                }
                do {
                    let decoded = try decodeImage(data: data, name: "fuzz")
                    #expect(decoded.pixels.count == decoded.width * decoded.height * 3)
                } catch {
                    #expect(error is ImageError)
                }
            }
        }
    }

    @Test("decodeImage(at:) names the file's path in its errors")
    func errorsNameThePath() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftpose-codec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("cut.jpg")
        try encodeJPEG(Self.smoothImage(width: 64, height: 48)).prefix(300).write(to: url)
        do {
            _ = try decodeImage(at: url)
            Issue.record("a truncated file decoded")
        } catch {
            #expect("\(error)".hasPrefix("\(url.path): corrupt JPEG data ("), "\(error)")
        }
    }

    @Test("a missing file throws missingFile with its path")
    func missingFileThrows() {
        let url = URL(fileURLWithPath: "/nonexistent/dir/x.jpg")
        #expect(throws: ImageError.missingFile(name: "/nonexistent/dir/x.jpg")) { try decodeImage(at: url) }
        #expect("\(ImageError.missingFile(name: "x.jpg"))" == "x.jpg: no such file")
    }

    @Test("writeImage writes by extension, leaves no temporary file, and rejects unknown extensions")
    func writeImageIsAtomic() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftpose-codec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = Self.randomImage(width: 10, height: 7, seed: 5)
        try writeImage(image, to: dir.appendingPathComponent("a.png"))
        try writeImage(Self.smoothImage(width: 10, height: 7), to: dir.appendingPathComponent("b.JPG"))
        #expect(try decodeImage(at: dir.appendingPathComponent("a.png")) == image)
        #expect(ImageFormat(magic: try Data(contentsOf: dir.appendingPathComponent("b.JPG"))) == .jpeg)
        #expect(throws: ImageError.self) { try writeImage(image, to: dir.appendingPathComponent("c.gif")) }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == ["a.png", "b.JPG"])
    }
}
