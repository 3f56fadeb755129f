// One synthetic image: a textured background, 1–4 people at different depths, maybe a few occluding
// rectangles, light noise; and the COCO annotations derived from what is actually visible.
//
// Labels follow COCO: a joint outside the image is (0, 0, v=0); a joint hidden by another person, an
// occluder or (for far-side face joints) the person's own head is v=1; otherwise v=2. Visibility, the box
// and the area come from an owner map that records, per pixel, which person or occluder painted it last
// (with ≥ 50% coverage): bbox = tight box of the person's visible pixels, area = their count (the visible
// body mask, like COCO's segmentation area).
import Foundation

/// The split a synthetic image belongs to; it picks an independent random stream and the id range.
public enum SynthSplit: String, Sendable, CaseIterable {
    case train, val

    /// COCO image id of item `index`: train 1, 2, …; val 10,000,001, … (ids are unique across splits).
    public func imageId(index: Int) -> Int {
        self == .train ? index + 1 : 10_000_001 + index
    }

    var stream: UInt64 { self == .train ? 1 : 2 }
}

/// One rendered synthetic image and its person annotations (ids are `imageId * 10 + k`).
public struct SynthSample: Sendable {
    public var image: Image
    public var annotations: [CocoAnnotation]
}

/// Renders item `index` of `split` for `seed`; the same arguments always give the same pixels and labels.
public func renderSynthImage(seed: UInt64, split: SynthSplit, index: Int) -> SynthSample {
    var rng = SynthRandom(seed: seed, stream: split.stream, index: UInt64(index))
    let width = rng.int(320...640), height = rng.int(240...480)
    var image = Image(width: width, height: height)
    SynthBackground.paint(&image, rng: &rng)

    var owner = [UInt8](repeating: 0, count: width * height)  // 0 background, p+1 person p, 255 occluder
    func paint(_ shape: RasterShape, _ color: RGBColor, id: UInt8) {
        shape.rasterize(width: width, height: height) { x, y, coverage in
            image.blend(x: x, y: y, color: color, alpha: coverage)
            if coverage >= 0.5 { owner[y * width + x] = id }
        }
    }

    // People: spread over horizontal slots (in random order) so they overlap sometimes, not always.
    let count = [1, 1, 1, 1, 2, 2, 2, 3, 3, 4][rng.int(0...9)]
    let h = Double(height), w = Double(width)
    var slots = Array(0..<count)
    for i in stride(from: count - 1, to: 0, by: -1) { slots.swapAt(i, rng.int(0...i)) }
    var people: [SynthPerson] = []
    for slot in slots {
        let tall = max(70, (count == 1 ? rng.uniform(0.5...0.95) : rng.uniform(0.3...0.8)) * h)
        let x = (Double(slot) + rng.uniform(0.2...0.8)) / Double(count) * w
        let yLow = 0.42 * tall, yHigh = h - 0.38 * tall
        let y = yLow < yHigh ? rng.uniform(yLow...yHigh) : h / 2 + rng.uniform(-0.1...0.1) * h
        people.append(SynthPerson.sample(rng: &rng, height: tall, pelvis: SIMD2(x, y)))
    }
    for (p, person) in people.enumerated() {  // later people stand in front
        for part in person.parts { paint(part.shape, part.color, id: UInt8(p + 1)) }
    }

    // Occluders: plain or striped rectangles in front of everything.
    if rng.chance(0.35) {
        for _ in 0..<rng.int(1...2) {
            let rw = rng.uniform(0.08...0.3) * w, rh = rng.uniform(0.08...0.35) * h
            let x0 = rng.uniform(-0.05 * w...w - rw * 0.5), y0 = rng.uniform(-0.05 * h...h - rh * 0.5)
            let color = SynthBackground.randomColor(&rng)
            paint(.rectangle(x0: x0, y0: y0, x1: x0 + rw, y1: y0 + rh), color, id: 255)
            if rng.chance(0.5) {  // a stripe across it, same owner
                let stripe = SynthBackground.randomColor(&rng)
                paint(.rectangle(x0: x0, y0: y0 + rh * 0.4, x1: x0 + rw, y1: y0 + rh * 0.6), stripe, id: 255)
            }
        }
    }
    SynthBackground.addNoise(&image, amplitude: 3, rng: &rng)

    let imageId = split.imageId(index: index)
    var annotations: [CocoAnnotation] = []
    for (p, person) in people.enumerated() {
        guard let ann = annotate(person, id: UInt8(p + 1), owner: owner, width: width, height: height,
                                 imageId: imageId, annotationId: imageId * 10 + annotations.count + 1)
        else { continue }
        annotations.append(ann)
    }
    return SynthSample(image: image, annotations: annotations)
}

/// The COCO annotation of a painted person, or nil when none of its pixels is visible.
private func annotate(_ person: SynthPerson, id: UInt8, owner: [UInt8], width: Int, height: Int,
                      imageId: Int, annotationId: Int) -> CocoAnnotation? {
    var x0 = width, y0 = height, x1 = -1, y1 = -1, area = 0
    for y in 0..<height {
        for x in 0..<width where owner[y * width + x] == id {
            area += 1
            x0 = min(x0, x); x1 = max(x1, x)
            y0 = min(y0, y); y1 = max(y1, y)
        }
    }
    guard area > 0 else { return nil }
    var keypoints: [Double] = []
    var labelled = 0
    for (j, joint) in person.joints.enumerated() {
        // Two decimals keep the JSON short; visibility is judged on the rounded position.
        let x = (joint.x * 100).rounded() / 100, y = (joint.y * 100).rounded() / 100
        guard x >= 0, y >= 0, x <= Double(width - 1), y <= Double(height - 1) else {
            keypoints += [0, 0, 0]
            continue
        }
        let visible = !person.selfOccluded[j] && owner[Int(y.rounded()) * width + Int(x.rounded())] == id
        keypoints += [x, y, visible ? 2 : 1]
        labelled += 1
    }
    // Box edges on pixel boundaries (pixel i spans [i - 0.5, i + 0.5]), clipped to the image.
    let bx = max(Double(x0) - 0.5, 0), by = max(Double(y0) - 0.5, 0)
    let bbox = [bx, by, Double(x1) + 0.5 - bx, Double(y1) + 0.5 - by]
    return CocoAnnotation(id: annotationId, imageId: imageId, keypoints: keypoints, numKeypoints: labelled,
                          bbox: bbox, area: Double(area))
}
