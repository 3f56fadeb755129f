import Foundation
import Testing
@testable import Keypoints

@Suite("Affine crop")
struct AffineTransformTests {
    @Test("get_affine_transform matches the reference matrices of 5 real crops")
    func matricesMatchReference() throws {
        let crops = try KeypointFixtures.load(KeypointFixtures.Crops.self, "crops.json").crops
        #expect(crops.count == 5)
        for crop in crops {
            let m = getAffineTransform(center: SIMD2(crop.center[0], crop.center[1]),
                                       scale: SIMD2(crop.scale[0], crop.scale[1]), rotation: crop.rotation,
                                       outputSize: GridSize(width: 192, height: 256))
            for (a, b) in zip(m.values, crop.matrix) {
                // same float32 points, same LU in double: only OpenCV's SIMD FMA may differ in the last bits
                #expect(abs(a - b) <= 1e-9 * max(1, abs(b)), "\(crop.file): \(m) vs \(crop.matrix)")
            }
        }
    }

    @Test("warpAffine equals cv2.warpAffine INTER_LINEAR on 5 real 256x192 crops (within 1 grey level on >= 99.9% of pixels)")
    func warpMatchesOpenCV() throws {
        let root = try ImageTestData.cocoSmall()
        let crops = try KeypointFixtures.load(KeypointFixtures.Crops.self, "crops.json").crops
        for crop in crops {
            let image = try decodeImage(at: root.appendingPathComponent(crop.file))
            let expected = try KeypointFixtures.image(crop.png)
            let mine = warpAffine(image, AffineMatrix(crop.matrix), outputSize: GridSize(width: 192, height: 256))
            #expect(mine.width == 192 && mine.height == 256)
            let diffs = zip(mine.pixels, expected.pixels).map { abs(Int($0) - Int($1)) }
            let within1 = Double(diffs.filter { $0 <= 1 }.count) / Double(diffs.count)
            let exact = Double(diffs.filter { $0 == 0 }.count) / Double(diffs.count)
            #expect(within1 >= 0.999, "\(crop.file): \(within1 * 100)% within 1 grey level")
            // OpenCV >= 4.11 arithmetic is reproduced bit for bit
            #expect(exact == 1, "\(crop.file): \(exact * 100)% identical, max diff \(diffs.max() ?? 0)")
            // The legacy fixed-point arithmetic (OpenCV <= 4.10) rounds differently on a few pixels.
            let legacy = warpAffine(image, AffineMatrix(crop.matrix), outputSize: GridSize(width: 192, height: 256),
                                    arithmetic: .fixedPoint)
            let legacyWithin1 = Double(zip(legacy.pixels, expected.pixels).filter { abs(Int($0) - Int($1)) <= 1 }.count)
                / Double(diffs.count)
            #expect(legacyWithin1 >= 0.99, "\(crop.file): fixed point \(legacyWithin1 * 100)% within 1")
        }
    }

    @Test("the normalized CHW warp equals the OpenCV crops of 5 real images after ToTensor and Normalize, bit for bit")
    func normalizedWarpMatchesOpenCV() throws {
        let root = try ImageTestData.cocoSmall()
        let size = GridSize(width: 192, height: 256)
        let norm = InputNormalization.imageNet
        for crop in try KeypointFixtures.load(KeypointFixtures.Crops.self, "crops.json").crops {
            let image = try decodeImage(at: root.appendingPathComponent(crop.file))
            let expected = try KeypointFixtures.image(crop.png)
            var chw = [Float](repeating: .nan, count: 3 * size.area)
            chw.withUnsafeMutableBufferPointer {
                warpAffineNormalized(image, AffineMatrix(crop.matrix), outputSize: size, into: $0)
            }
            // The one-pixel-at-a-time loops, with and without hardware FMA (CPUs lacking AVX2/FMA), give the same floats.
            for kernel in [WarpKernel.scalar, .portable] {
                var other = [Float](repeating: .nan, count: 3 * size.area)
                other.withUnsafeMutableBufferPointer {
                    warpAffineNormalized(ImageWindow(image), AffineMatrix(crop.matrix), outputSize: size, normalization: norm,
                                         arithmetic: .float32, kernel: kernel, into: $0)
                }
                #expect(other == chw, "\(crop.file): \(kernel) and vector warps differ")
            }
            var mismatches = 0
            for c in 0..<3 {
                for p in 0..<size.area {
                    let want = (Float(expected.pixels[p * 3 + c]) / 255 - norm.mean[c]) / norm.std[c]
                    if chw[c * size.area + p] != want { mismatches += 1 }
                }
            }
            #expect(mismatches == 0, "\(crop.file): \(mismatches) values differ from the OpenCV crop")
        }
    }

    @Test("the normalized CHW fast path equals warpAffine followed by ToTensor and Normalize; bgr swaps channels")
    func normalizedFastPath() throws {
        var image = Image(width: 40, height: 30)
        for i in image.pixels.indices { image.pixels[i] = UInt8((i * 37 + i / 3) % 256) }
        let m = getAffineTransform(center: SIMD2(20, 15), scale: SIMD2(0.15, 0.2), rotation: 17,
                                   outputSize: GridSize(width: 24, height: 32))
        let crop = warpAffine(image, m, outputSize: GridSize(width: 24, height: 32))
        for bgr in [false, true] {
            let norm = InputNormalization(bgr: bgr)
            var chw = [Float](repeating: .nan, count: 3 * 24 * 32)
            chw.withUnsafeMutableBufferPointer {
                warpAffineNormalized(image, m, outputSize: GridSize(width: 24, height: 32), normalization: norm, into: $0)
            }
            for c in 0..<3 {
                let source = bgr ? 2 - c : c
                for p in 0..<(24 * 32) {
                    let expected = (Float(crop.pixels[p * 3 + source]) / 255 - norm.mean[c]) / norm.std[c]
                    #expect(chw[c * 24 * 32 + p] == expected)
                }
            }
        }
    }

    @Test("inverse transform maps crop points back onto the image box")
    func inverseRoundTrip() {
        let center = SIMD2(120.5, 80.25), scale = SIMD2(0.6, 0.8)
        let m = getAffineTransform(center: center, scale: scale, rotation: 30, outputSize: GridSize(width: 192, height: 256))
        let back = getAffineTransform(center: center, scale: scale, rotation: 30,
                                      outputSize: GridSize(width: 192, height: 256), inverse: true)
        let p = m.apply(SIMD2(100, 90))
        let q = back.apply(p)
        #expect(abs(q.x - 100) < 1e-3 && abs(q.y - 90) < 1e-3)
        let crossCenter = m.apply(center)
        #expect(abs(crossCenter.x - 96) < 1e-3 && abs(crossCenter.y - 128) < 1e-3)
    }
}

@Suite("Warp arithmetic helpers")
struct WarpArithmeticTests {
    @Test("the inline fused multiply-add equals fmaf on random and tie-prone inputs")
    func fusedMultiplyAddIsExact() {
        var rng = SeededRandom(seed: 9)
        for i in 0..<200_000 {
            let a = Float(rng.uniform() * 2 - 1) * (i % 3 == 0 ? 1 : 1024)
            let b = i % 2 == 0 ? Float(Int(rng.uniform() * 511) - 255) : Float(rng.uniform() * 600 - 300)
            let c = i % 5 == 0 ? Float(Int(rng.uniform() * 256)) : Float(rng.uniform() * 512 - 256)
            #expect(fusedMultiplyAdd(a, b, c) == c.addingProduct(a, b), "fma(\(a), \(b), \(c))")
        }
        // an exact tie after double rounding: 1 + 2^-24 + 2^-60
        let a: Float = 1 + 0x1p-23, b: Float = 0x1p-25, c: Float = 1
        #expect(fusedMultiplyAdd(a, b, c) == c.addingProduct(a, b))
    }

    @Test("floor and round-half-even helpers equal floorf and rintf on the warp's range")
    func floorAndRound() {
        for v: Float in [-1, -0.75, -0.5, 0, 0.5, 1.5, 2.5, 254.5, 255.49, -0.0001, 3.999999] {
            #expect(floorSmall(v) == v.rounded(.down), "floor \(v)")
            #expect(roundHalfEvenSmall(v) == v.rounded(.toNearestOrEven), "rint \(v)")
        }
    }
}
