import Foundation
import Testing
@testable import Keypoints

/// Random rectangles inside a `width` x `height` image, plus the whole image and rectangles touching each edge
/// (odd right edges are where a cropped decode's chroma upsampling differs when it is done wrong).
func testRects(width: Int, height: Int, random count: Int, rng: inout SeededRandom) -> [PixelRect] {
    var rects = [PixelRect(x: 0, y: 0, width: width, height: height),
                 PixelRect(x: 0, y: 0, width: 1, height: 1),
                 PixelRect(x: width - 1, y: height - 1, width: 1, height: 1),
                 PixelRect(x: width / 3, y: height / 4, width: width - width / 3, height: height / 2),
                 PixelRect(x: 5, y: 3, width: 12, height: height - 3)]
    for _ in 0..<count {
        let w = 1 + Int(rng.next() % UInt64(width)), h = 1 + Int(rng.next() % UInt64(height))
        let x = Int(rng.next() % UInt64(width - w + 1)), y = Int(rng.next() % UInt64(height - h + 1))
        rects.append(PixelRect(x: x, y: y, width: w, height: h))
    }
    return rects
}

@Suite("Partial JPEG decode")
struct ImageSourceTests {
    @Test("every rectangle decoded from a coco-small JPEG equals that rectangle of the full decode, also mirrored")
    func cocoRegionsEqualFullDecode() throws {
        let root = try ImageTestData.cocoSmall()
        var rng = SeededRandom(seed: 7)
        var checked = 0
        for split in ["train2017", "val2017"] {
            let folder = root.appendingPathComponent(split)
            for file in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() where file.hasSuffix(".jpg") {
                let url = folder.appendingPathComponent(file)
                let full = try decodeImage(at: url)
                let source = try openImage(at: url)
                #expect(source is JPEGFile && source.width == full.width && source.height == full.height)
                for rect in testRects(width: full.width, height: full.height, random: 4, rng: &rng) {
                    let expected = full.pixels(in: rect)
                    #expect(try source.pixels(in: rect) == expected, "\(file) \(rect)")
                    #expect(try source.pixels(in: rect, mirrored: true) == flipImageHorizontally(expected), "\(file) \(rect) mirrored")
                    checked += 1
                }
            }
        }
        #expect(checked > 900)
    }

    @Test("rectangles equal the full decode for every chroma subsampling, progressive files and odd sizes",
          arguments: [false, true])
    func encodedKindsEqualFullDecode(progressive: Bool) throws {
        var image = Image(width: 101, height: 77)
        for i in image.pixels.indices { image.pixels[i] = UInt8((i * 131 + (i / 303) * 7) % 256) }
        var rng = SeededRandom(seed: progressive ? 2 : 1)
        for subsampling in JPEGSubsampling.allCases {
            let data = try encodeJPEG(image, quality: 85, subsampling: subsampling, progressive: progressive)
            let full = try decodeImage(data: data, name: "\(subsampling)")
            let source = try JPEGFile(data: data, name: "\(subsampling)")
            for rect in testRects(width: 101, height: 77, random: 20, rng: &rng) {
                #expect(try source.pixels(in: rect) == full.pixels(in: rect), "\(subsampling) \(rect)")
            }
        }
    }

    @Test("a truncated JPEG is an error naming the file even when the rectangle lies in the intact part")
    func truncatedFileIsAnError() throws {
        let root = try ImageTestData.cocoSmall()
        let folder = root.appendingPathComponent("val2017")
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().first { $0.hasSuffix(".jpg") })
        let data = try Data(contentsOf: folder.appendingPathComponent(file))
        for cut in [data.count - 2, data.count * 3 / 4, data.count / 2] {
            let source = try JPEGFile(data: data.prefix(cut), name: "cut-\(cut).jpg")
            #expect { _ = try source.pixels(in: PixelRect(x: 0, y: 0, width: 8, height: 8)) } throws: { error in
                "\(error)".contains("cut-\(cut).jpg") && "\(error)".contains("Premature end")
            }
        }
        #expect(throws: ImageError.self) { _ = try JPEGFile(data: data.prefix(100), name: "header.jpg") }
    }

    @Test("a warp reads nothing outside warpSourceRect: poisoning every other pixel changes no output",
          arguments: WarpArithmetic.allCases)
    func sourceRectCoversTheWarp(arithmetic: WarpArithmetic) {
        var image = Image(width: 90, height: 70)
        for i in image.pixels.indices { image.pixels[i] = UInt8((i * 29 + i / 270) % 251) }
        let size = GridSize(width: 24, height: 32)
        var rng = SeededRandom(seed: 5)
        for _ in 0..<40 {
            func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * Double(rng.next() % 10_000) / 10_000 }
            let matrix = getAffineTransform(center: SIMD2(uniform(-10, 100), uniform(-10, 80)),
                                            scale: SIMD2(uniform(0.05, 0.5), uniform(0.05, 0.6)),
                                            rotation: uniform(-90, 90), outputSize: size)
            let rect = warpSourceRect(matrix, outputSize: size, imageWidth: 90, imageHeight: 70)
            var poisoned = image
            for y in 0..<70 {
                for x in 0..<90 where !(x >= rect.x && x < rect.x + rect.width && y >= rect.y && y < rect.y + rect.height) {
                    for c in 0..<3 { poisoned.pixels[(y * 90 + x) * 3 + c] = 255 }
                }
            }
            #expect(warpAffine(poisoned, matrix, outputSize: size, arithmetic: arithmetic)
                    == warpAffine(image, matrix, outputSize: size, arithmetic: arithmetic))
            // The window alone (the pixels of `rect` only) warps like the whole image, in each C loop too
            // (the vector loop falls back to single pixels near the window's edges).
            let window = ImageWindow(pixels: image.pixels(in: rect), x: rect.x, y: rect.y, imageWidth: 90, imageHeight: 70)
            var whole = [Float](repeating: .nan, count: 3 * size.area)
            whole.withUnsafeMutableBufferPointer {
                warpAffineNormalized(image, matrix, outputSize: size, arithmetic: arithmetic, into: $0)
            }
            for kernel in WarpKernel.allCases {
                var part = [Float](repeating: .nan, count: 3 * size.area)
                part.withUnsafeMutableBufferPointer {
                    warpAffineNormalized(window, matrix, outputSize: size, normalization: .imageNet, arithmetic: arithmetic,
                                         kernel: kernel, into: $0)
                }
                #expect(part == whole, "\(kernel)")
            }
        }
    }

    @Test("samples cropped from partially decoded JPEGs equal samples cropped from fully decoded images",
          arguments: [0, 1])
    func pipelineMatchesFullDecode(recipe: Int) throws {
        let root = try ImageTestData.cocoSmall()
        let persons = try CocoDataset(root: root, split: "train2017").instances
        let augmentation: AugmentationRecipe = recipe == 0
            ? .simpleBaseline(SimpleBaselineAugmentation()) : .mmpose(MMPoseAugmentation())
        let pipeline = TopdownPipeline(augmentation: augmentation)
        var flipped = 0
        for (i, person) in persons.enumerated() {
            let url = URL(fileURLWithPath: person.imagePath)
            var a = SeededRandom(seed: 3, epoch: 1, index: i), b = a
            let partial = try pipeline.makeSample(person, image: try openImage(at: url), rng: &a)
            let full = try pipeline.makeSample(person, image: try decodeImage(at: url), rng: &b)
            #expect(partial.input == full.input, "person \(i)")
            #expect(partial.target.heatmaps == full.target.heatmaps && partial.meta == full.meta, "person \(i)")
            if full.meta.flipped { flipped += 1 }
        }
        #expect(flipped > 10 && flipped < persons.count - 10)
    }
}
