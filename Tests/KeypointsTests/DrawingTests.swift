import Testing
@testable import Keypoints

@Suite("Drawing")
struct DrawingTests {
    /// A standing COCO person in a 100x120 image, joints in metainfo order.
    static let person: [SIMD2<Double>] = [
        SIMD2(50, 15), SIMD2(54, 12), SIMD2(46, 12), SIMD2(58, 14), SIMD2(42, 14),  // face
        SIMD2(65, 30), SIMD2(35, 30), SIMD2(72, 50), SIMD2(28, 50), SIMD2(75, 70), SIMD2(25, 70),  // arms
        SIMD2(60, 65), SIMD2(40, 65), SIMD2(62, 88), SIMD2(38, 88), SIMD2(63, 110), SIMD2(37, 110),  // legs
    ]

    @Test("drawSkeleton colours joints by side: left wrist green, right wrist orange, nose blue")
    func jointsColouredBySide() {
        var image = Image(width: 100, height: 120)
        image.drawSkeleton(keypoints: Self.person, scores: Array(repeating: 1, count: 17))
        let style = SkeletonStyle()
        #expect(image.color(x: 75, y: 70) == style.leftColor)
        #expect(image.color(x: 25, y: 70) == style.rightColor)
        #expect(image.color(x: 50, y: 15) == style.centerColor)
        // The middle of the left forearm carries the limb colour (blended at limbOpacity over black).
        let mid = image.color(x: 73, y: 60)
        #expect(mid.g > 200 && mid.r < 30 && mid.b < 30, "\(mid)")
    }

    @Test("joints below the score threshold and their limbs are not drawn")
    func lowScoresSkipped() {
        var image = Image(width: 100, height: 120)
        var scores = Array(repeating: 0.9, count: 17)
        scores[9] = 0.1  // left wrist
        image.drawSkeleton(keypoints: Self.person, scores: scores)
        #expect(image.color(x: 75, y: 70) == .black)
        #expect(image.color(x: 74, y: 62) == .black)  // left forearm gone
        #expect(image.color(x: 72, y: 50) != .black)  // left elbow still there
    }

    @Test("COCO flat keypoints draw joints with v > 0 only")
    func cocoKeypointsUseVisibility() {
        var flat: [Double] = []
        for (j, p) in Self.person.enumerated() { flat += [p.x, p.y, j == 0 ? 0 : (j == 1 ? 1 : 2)] }
        var image = Image(width: 100, height: 120)
        image.drawSkeleton(cocoKeypoints: flat)
        #expect(image.color(x: 50, y: 15) == .black)  // nose v=0
        #expect(image.color(x: 54, y: 12) != .black)  // left eye v=1
    }

    @Test("limb sides follow mmpose: arms and legs by side, torso and face centre")
    func limbSides() {
        let meta = KeypointMetainfo.coco
        #expect(meta.side(ofLimb: (15, 13)) == .left)
        #expect(meta.side(ofLimb: (8, 10)) == .right)
        #expect(meta.side(ofLimb: (5, 11)) == .center)
        #expect(meta.side(ofLimb: (3, 5)) == .center)
        #expect(meta.side(ofJoint: 1) == .center)
        #expect(meta.side(ofJoint: 12) == .right)
    }

    @Test("a filled disc covers about pi r^2 pixels and its centre is the full colour")
    func discArea() {
        var image = Image(width: 64, height: 64)
        image.fillCircle(center: SIMD2(31.3, 30.7), radius: 10, color: .white)
        let total = image.pixels.reduce(0) { $0 + Double($1) } / (3 * 255)
        #expect(abs(total - Double.pi * 100) < 2, "coverage sum \(total)")
        #expect(image.color(x: 31, y: 31) == .white)
        #expect(image.color(x: 31, y: 45) == .black)
    }

    @Test("a convex polygon's coverage sums to its area, whatever the vertex order")
    func polygonArea() {
        for points in [[SIMD2(10.0, 10), SIMD2(40, 12), SIMD2(38, 30), SIMD2(12, 28)],
                       [SIMD2(38.0, 30), SIMD2(10, 10), SIMD2(12, 28), SIMD2(40, 12)]] {
            var image = Image(width: 50, height: 40)
            image.fillConvexPolygon(points, color: .white)
            let total = image.pixels.reduce(0) { $0 + Double($1) } / (3 * 255)
            // Shoelace area of the quad (10,10) (40,12) (38,30) (12,28) is 504.
            #expect(abs(total - 504) < 4, "coverage sum \(total)")
        }
    }

    @Test("drawBox outlines the box and leaves its inside untouched")
    func boxOutline() {
        var image = Image(width: 60, height: 50)
        image.drawBox([10, 10, 30, 20], color: .white, thickness: 2)
        #expect(image.color(x: 10, y: 20) == .white)
        #expect(image.color(x: 40, y: 30) == .white)
        #expect(image.color(x: 25, y: 20) == .black)
    }

    @Test("heatmap overlay is red at a peak and leaves zero regions unchanged")
    func heatmapOverlay() {
        let (k, h, w) = (2, 12, 16)
        var maps = [Float](repeating: 0, count: k * h * w)
        maps[(1 * h + 6) * w + 4] = 1  // joint 1 peaks at heatmap (4, 6)
        let image = Image(width: 64, height: 48, pixels: [UInt8](repeating: 100, count: 64 * 48 * 3))
        let out = overlayHeatmaps(maps, joints: k, height: h, width: w, on: image, opacity: 1)
        // Heatmap (4, 6) is image (4.5*4 - 0.5 ...) ≈ pixel (17.5, 25.5): the 4 pixels around it are hot.
        let hot = out.color(x: 17, y: 25)
        #expect(hot.r > hot.b && hot.r > 150, "\(hot)")
        #expect(out.color(x: 60, y: 5) == RGBColor(100, 100, 100))
        #expect(jetColor(1) == RGBColor(128, 0, 0) && jetColor(0) == RGBColor(0, 0, 128))
    }
}
