import Foundation
import Testing
@testable import Keypoints

@Suite("Augmentation")
struct AugmentationTests {
    @Test("flip maps x to width - 1 - x and swaps every COCO left/right pair; unlabelled joints are zeroed")
    func flipUsesCocoPairs() {
        let meta = KeypointMetainfo.coco
        var joints: [SIMD2<Double>] = []
        for j in 0..<17 { joints.append(SIMD2(Double(10 * j + 3), Double(5 * j))) }
        var visible = [Double](repeating: 1, count: 17)
        visible[4] = 0
        let (flipped, flippedVisible) = flipJoints(joints, visible: visible, imageWidth: 200, flipPairs: meta.flipPairs)
        for j in 0..<17 {
            let source = meta.flipIndex[j]
            #expect(flippedVisible[j] == visible[source])
            let expected = visible[source] > 0 ? SIMD2(200 - joints[source].x - 1, joints[source].y) : .zero
            #expect(flipped[j] == expected, "\(meta.jointNames[j]) takes \(meta.jointNames[source])")
        }
        #expect(flipped[0] == SIMD2<Double>(196, 0))  // nose stays the nose
        #expect(flipped[5] == SIMD2<Double>(200 - 63 - 1, 30))  // left_shoulder is the old right_shoulder
    }

    @Test("flipping a sample flips the box center and the joints, and its crop reads the mirrored pixels")
    func flipSample() throws {
        var image = Image(width: 4, height: 1)
        image.pixels = [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
        let instance = PersonInstance(imageId: 1, annotationId: 1, imagePath: "", center: SIMD2(1, 0), scale: SIMD2(1, 1),
                                      score: 1, joints: Array(repeating: SIMD2(0, 0), count: 17),
                                      jointsVisible: Array(repeating: 1, count: 17))
        var sample = AugmentedSample(imageWidth: image.width, imageHeight: image.height, instance: instance)
        flipHorizontally(&sample, metainfo: .coco, zeroInvisible: true)
        #expect(flipImageHorizontally(image).pixels == [4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 1])
        // Columns 1...2 of the flipped image [4, 3, 2, 1] are 3, 2.
        let window = try cropWindow(of: image, reading: PixelRect(x: 1, y: 0, width: 2, height: 1), flipped: sample.flipped)
        #expect(window.pixels.pixels == [3, 3, 3, 2, 2, 2] && window.x == 1 && window.imageWidth == 4)
        #expect(sample.center == SIMD2(2, 0))
        #expect(sample.joints.allSatisfy { $0 == SIMD2(3, 0) })
        #expect(sample.flipped)
    }

    @Test("the same seed, epoch and index give the same draws; another index gives others")
    func seededStreams() {
        var a = SeededRandom(seed: 7, epoch: 2, index: 11)
        var b = SeededRandom(seed: 7, epoch: 2, index: 11)
        var c = SeededRandom(seed: 7, epoch: 2, index: 12)
        let da = (0..<8).map { _ in a.next() }, db = (0..<8).map { _ in b.next() }, dc = (0..<8).map { _ in c.next() }
        #expect(da == db && da != dc)
        var r = SeededRandom(seed: 1)
        let normals = (0..<20000).map { _ in r.normal() }
        let mean = normals.reduce(0, +) / 20000
        let variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20000
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05)
        #expect((0..<2000).map { _ in r.truncatedNormal() }.allSatisfy { abs($0) <= 1 })
    }

    @Test("the SimpleBaseline recipe keeps scale within 1 ± 0.35 and rotation within ± 90 degrees, rotating about 60% of the time")
    func simpleBaselineRanges() {
        let instance = samplePerson()
        var rotated = 0, flipped = 0
        for i in 0..<400 {
            var rng = SeededRandom(seed: 3, epoch: 0, index: i)
            var sample = AugmentedSample(imageWidth: 64, imageHeight: 64, instance: instance)
            AugmentationRecipe.simpleBaseline(SimpleBaselineAugmentation())
                .apply(&sample, metainfo: .coco, aspectRatio: 0.75, rng: &rng)
            #expect(abs(sample.rotation) <= 90)
            if sample.rotation != 0 { rotated += 1 }
            if sample.flipped { flipped += 1 }
            let ratio = sample.scale / instance.scale
            // half-body replaces the box; otherwise the factor is clipped
            if sample.center == instance.center || sample.center.x == Double(Float(64 - instance.center.x - 1)) {
                #expect(ratio.x >= 0.65 - 1e-6 && ratio.x <= 1.35 + 1e-6)
            }
        }
        #expect(rotated > 200 && rotated < 280)
        #expect(flipped > 160 && flipped < 240)
    }

    @Test("the mmpose recipe keeps the aspect ratio of the input after half-body and bbox transforms")
    func mmposeAspect() {
        let instance = samplePerson()
        for i in 0..<200 {
            var rng = SeededRandom(seed: 5, epoch: 1, index: i)
            var sample = AugmentedSample(imageWidth: 64, imageHeight: 64, instance: instance)
            AugmentationRecipe.mmpose(MMPoseAugmentation()).apply(&sample, metainfo: .coco, aspectRatio: 0.75, rng: &rng)
            #expect(abs(sample.scale.x / sample.scale.y - 0.75) < 1e-9)
            #expect(abs(sample.rotation) <= 80)
        }
    }
}

/// A person with all 17 joints labelled, spread over a 64x64 image.
func samplePerson() -> PersonInstance {
    var joints: [SIMD2<Double>] = []
    for j in 0..<17 {
        let x = Double(20 + (j % 5) * 5), y = Double(5 + j * 3)
        joints.append(SIMD2(x, y))
    }
    return PersonInstance(imageId: 1, annotationId: 1, imagePath: "", center: SIMD2(30, 30), scale: SIMD2(0.3, 0.4),
                          score: 1, joints: joints, jointsVisible: Array(repeating: 1, count: 17))
}

@Suite("mmpose recipe box")
struct MMPoseBoxTests {
    @Test("the mmpose recipe starts from the padded box before the aspect fix, as GetBBoxCenterScale")
    func startsFromPaddedBox() {
        var instance = samplePerson()
        instance.paddedBoxSize = SIMD2(0.1, 0.4)  // a narrow box: aspect fix widens it to 0.3 x 0.4
        var params = MMPoseAugmentation()
        params.flipProbability = 0
        params.halfBodyProbability = 0
        params.shiftProbability = 0
        params.scaleProbability = 0
        params.rotateProbability = 0
        var rng = SeededRandom(seed: 1)
        var sample = AugmentedSample(imageWidth: 64, imageHeight: 64, instance: instance)
        AugmentationRecipe.mmpose(params).apply(&sample, metainfo: .coco, aspectRatio: 0.75, rng: &rng)
        #expect(abs(sample.scale.x - 0.3) < 1e-12 && abs(sample.scale.y - 0.4) < 1e-12)
        #expect(sample.center == instance.center && sample.rotation == 0)
    }
}
