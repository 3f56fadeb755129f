// Training augmentation of top-down pose estimation, two recipes:
// - SimpleBaseline/HRNet `JointsDataset.__getitem__`: half-body (prob 0.3 when > 8 labelled joints),
//   scale × clip(N(0,1)·0.35 + 1, 0.65, 1.35), rotation clip(N(0,1)·45, ±90) with prob 0.6, flip 0.5.
// - mmpose 1.x: `RandomFlip` → `RandomHalfBody` → `RandomBBoxTransform`, then `TopdownAffine` fixes the aspect.
// Random draws come from the sample's own `SeededRandom`, so results depend only on (seed, epoch, index).
// K = joints.

/// The state one person carries through augmentation: the size of the image it is cropped from and the
/// crop box. Pixels are not touched: a flip is recorded in `flipped` and applied to the pixels the crop reads
/// (`cropWindow(of:reading:flipped:)`), which equals flipping the whole image first, as the reference does.
public struct AugmentedSample: Sendable {
    /// The source image's size.
    public var imageWidth: Int
    public var imageHeight: Int
    /// Box center in pixels of the (possibly flipped) image.
    public var center: SIMD2<Double>
    /// Box size in units of 200 px.
    public var scale: SIMD2<Double>
    /// Rotation in degrees (counter-clockwise in the crop, as the reference).
    public var rotation: Double = 0
    /// K joints in pixels of the (possibly flipped) image.
    public var joints: [SIMD2<Double>]
    /// K visibilities (0/1).
    public var jointsVisible: [Double]
    /// Whether the image was flipped.
    public var flipped = false
    /// mmpose's un-fixed `bbox_scale` (200-px units), from `PersonInstance.paddedBoxSize`.
    public var paddedBoxSize: SIMD2<Double>?

    /// The un-augmented state of `instance` cropped from an image of `imageWidth` x `imageHeight`.
    public init(imageWidth: Int, imageHeight: Int, instance: PersonInstance) {
        self.imageWidth = imageWidth
        self.imageHeight = imageHeight
        self.center = instance.center
        self.scale = instance.scale
        self.joints = instance.joints
        self.jointsVisible = instance.jointsVisible
        self.paddedBoxSize = instance.paddedBoxSize
    }
}

/// SimpleBaseline/HRNet augmentation parameters (HRNet `w32_256x192_adam_lr1e-3.yaml` values by default).
public struct SimpleBaselineAugmentation: Sendable, Equatable {
    /// `DATASET.SCALE_FACTOR`: scale × clip(N(0, 1)·sf + 1, 1 - sf, 1 + sf).
    public var scaleFactor = 0.35
    /// `DATASET.ROT_FACTOR`: rotation clip(N(0, 1)·rf, -2rf, 2rf) degrees.
    public var rotationFactor = 45.0
    /// Probability of rotating (HRNet: 0.6; the original SimpleBaseline code rotates always: 1.0).
    public var rotationProbability = 0.6
    /// `DATASET.FLIP`: flip with probability 0.5.
    public var flip = true
    /// `DATASET.PROB_HALF_BODY`.
    public var halfBodyProbability = 0.3
    /// `DATASET.NUM_JOINTS_HALF_BODY`: half-body applies only with more than this many labelled joints.
    public var numJointsHalfBody = 8
    public init() {}
}

/// mmpose 1.x augmentation parameters (defaults of `RandomFlip`, `RandomHalfBody`, `RandomBBoxTransform`).
public struct MMPoseAugmentation: Sendable, Equatable {
    /// `RandomFlip(prob)`, horizontal.
    public var flipProbability = 0.5
    /// `RandomHalfBody(min_total_keypoints)`.
    public var halfBodyMinTotalKeypoints = 9
    /// `RandomHalfBody(min_upper_keypoints)`.
    public var halfBodyMinUpperKeypoints = 2
    /// `RandomHalfBody(min_lower_keypoints)`.
    public var halfBodyMinLowerKeypoints = 3
    /// `RandomHalfBody(padding)`.
    public var halfBodyPadding = 1.5
    /// `RandomHalfBody(prob)`.
    public var halfBodyProbability = 0.3
    /// `RandomHalfBody(upper_prioritized_prob)`.
    public var halfBodyUpperPrioritizedProbability = 0.7
    /// `RandomBBoxTransform(shift_factor)`: shift by truncnorm·factor·box size.
    public var shiftFactor = 0.16
    /// `RandomBBoxTransform(shift_prob)`.
    public var shiftProbability = 0.3
    /// `RandomBBoxTransform(scale_factor)[0]`.
    public var scaleMin = 0.5
    /// `RandomBBoxTransform(scale_factor)[1]`.
    public var scaleMax = 1.5
    /// `RandomBBoxTransform(scale_prob)`.
    public var scaleProbability = 1.0
    /// `RandomBBoxTransform(rotate_factor)`: rotation truncnorm·factor degrees.
    public var rotateFactor = 80.0
    /// `RandomBBoxTransform(rotate_prob)`.
    public var rotateProbability = 0.6
    public init() {}
}

/// Which augmentation recipe a training run uses.
public enum AugmentationRecipe: Sendable, Equatable {
    /// No augmentation (evaluation).
    case none
    /// SimpleBaseline/HRNet `JointsDataset`.
    case simpleBaseline(SimpleBaselineAugmentation)
    /// mmpose 1.x `RandomFlip` + `RandomHalfBody` + `RandomBBoxTransform`.
    case mmpose(MMPoseAugmentation)

    /// Applies the recipe in its reference order.
    public func apply(_ sample: inout AugmentedSample, metainfo: KeypointMetainfo, aspectRatio: Double,
                      rng: inout SeededRandom) {
        switch self {
        case .none:
            return
        case .simpleBaseline(let p):
            let labelled = sample.jointsVisible.reduce(0, +)
            if labelled > Double(p.numJointsHalfBody) && rng.uniform() < p.halfBodyProbability {
                if let (c, s) = simpleBaselineHalfBody(sample, metainfo: metainfo, aspectRatio: aspectRatio, rng: &rng) {
                    sample.center = c
                    sample.scale = s
                }
            }
            let sf = p.scaleFactor, rf = p.rotationFactor
            sample.scale *= min(max(rng.normal() * sf + 1, 1 - sf), 1 + sf)
            // `clip(randn() * rf, -2rf, 2rf) if random.random() <= 0.6 else 0`: the condition is drawn first.
            sample.rotation = rng.uniform() <= p.rotationProbability ? min(max(rng.normal() * rf, -2 * rf), 2 * rf) : 0
            if p.flip && rng.uniform() <= 0.5 {
                flipHorizontally(&sample, metainfo: metainfo, zeroInvisible: true)
            }
        case .mmpose(let p):
            // mmpose's transforms see the padded box before `TopdownAffine` fixes its aspect ratio.
            if let padded = sample.paddedBoxSize { sample.scale = padded }
            if rng.uniform() < p.flipProbability {
                flipHorizontally(&sample, metainfo: metainfo, zeroInvisible: false)
            }
            mmposeHalfBody(&sample, p, metainfo: metainfo, rng: &rng)
            mmposeBBoxTransform(&sample, p, rng: &rng)
            sample.scale = fixAspectRatio(sample.scale, aspectRatio: aspectRatio)
        }
    }
}

/// Flips the image (`flipped`), box center and joints horizontally: `x → width - 1 - x` and left/right partners swapped
/// (SimpleBaseline `fliplr_joints`, which also zeroes joints that are not visible; mmpose `flip_keypoints` does not).
public func flipHorizontally(_ sample: inout AugmentedSample, metainfo: KeypointMetainfo, zeroInvisible: Bool) {
    let width = Double(sample.imageWidth)
    let (joints, visible) = flipJoints(sample.joints, visible: sample.jointsVisible, imageWidth: sample.imageWidth,
                                       flipPairs: metainfo.flipPairs, zeroInvisible: zeroInvisible)
    sample.joints = joints
    sample.jointsVisible = visible
    sample.center.x = Double(Float(width - sample.center.x - 1))
    sample.flipped.toggle()
}

/// SimpleBaseline `fliplr_joints`: `x → width - 1 - x`, swap each flip pair; with `zeroInvisible`, joints are
/// multiplied by their visibility as the reference returns `joints * joints_vis`.
public func flipJoints(_ joints: [SIMD2<Double>], visible: [Double], imageWidth: Int, flipPairs: [(Int, Int)],
                       zeroInvisible: Bool = true) -> ([SIMD2<Double>], [Double]) {
    var j = joints.map { SIMD2(Double(imageWidth) - $0.x - 1, $0.y) }
    var v = visible
    for (a, b) in flipPairs {
        j.swapAt(a, b)
        v.swapAt(a, b)
    }
    if zeroInvisible {
        for i in j.indices { j[i] *= v[i] }
    }
    return (j, v)
}

/// The image mirrored left-right (`img[:, ::-1]`).
public func flipImageHorizontally(_ image: Image) -> Image {
    image.pixels(in: PixelRect(x: 0, y: 0, width: image.width, height: image.height), mirrored: true)
}

/// SimpleBaseline `half_body_transform` (including its `np.random.randn() < 0.5` upper/lower choice).
/// Returns nil when fewer than two joints are selected.
func simpleBaselineHalfBody(_ sample: AugmentedSample, metainfo: KeypointMetainfo, aspectRatio: Double,
                            rng: inout SeededRandom) -> (SIMD2<Double>, SIMD2<Double>)? {
    var upper: [SIMD2<Double>] = [], lower: [SIMD2<Double>] = []
    let upperSet = Set(metainfo.upperBodyJoints)
    for j in 0..<sample.joints.count where sample.jointsVisible[j] > 0 {
        if upperSet.contains(j) { upper.append(sample.joints[j]) } else { lower.append(sample.joints[j]) }
    }
    let selected: [SIMD2<Double>]
    if rng.normal() < 0.5 && upper.count > 2 {
        selected = upper
    } else {
        selected = lower.count > 2 ? lower : upper
    }
    guard selected.count >= 2 else { return nil }
    // float32 arithmetic as the reference (np.array(selected_joints, dtype=np.float32))
    let points = selected.map { SIMD2<Float>(Float($0.x), Float($0.y)) }
    var sum = SIMD2<Float>.zero
    for p in points { sum += p }
    let center = sum / Float(points.count)
    var lo = points[0], hi = points[0]
    for p in points {
        lo = pointwiseMin(lo, p)
        hi = pointwiseMax(hi, p)
    }
    var w = Double(hi.x - lo.x), h = Double(hi.y - lo.y)
    if w > aspectRatio * h {
        h = w * 1.0 / aspectRatio
    } else if w < aspectRatio * h {
        w = h * aspectRatio
    }
    let scale = SIMD2<Float>(Float(w / 200), Float(h / 200)) * 1.5
    return (SIMD2(Double(center.x), Double(center.y)), SIMD2(Double(scale.x), Double(scale.y)))
}

/// mmpose `RandomHalfBody` for one instance (scale in units of 200 px here, pixels in mmpose).
func mmposeHalfBody(_ sample: inout AugmentedSample, _ p: MMPoseAugmentation, metainfo: KeypointMetainfo,
                    rng: inout SeededRandom) {
    let visible = sample.jointsVisible
    guard visible.reduce(0, +) >= Double(p.halfBodyMinTotalKeypoints) else { return }
    guard rng.uniform() <= p.halfBodyProbability else { return }
    let upperSet = Set(metainfo.upperBodyJoints)
    let upper = metainfo.upperBodyJoints.filter { visible[$0] > 0 }
    let lower = (0..<metainfo.numJoints).filter { !upperSet.contains($0) && visible[$0] > 0 }
    let preferUpper = rng.uniform() < p.halfBodyUpperPrioritizedProbability
    let indices: [Int]
    if upper.count < p.halfBodyMinUpperKeypoints && lower.count < p.halfBodyMinLowerKeypoints {
        return
    } else if lower.count < p.halfBodyMinLowerKeypoints {
        indices = upper
    } else if upper.count < p.halfBodyMinUpperKeypoints {
        indices = lower
    } else {
        indices = preferUpper ? upper : lower
    }
    let points = indices.map { sample.joints[$0] }
    var sum = SIMD2<Double>.zero
    var lo = points[0], hi = points[0]
    for q in points {
        sum += q
        lo = pointwiseMin(lo, q)
        hi = pointwiseMax(hi, q)
    }
    sample.center = sum / Double(points.count)
    sample.scale = (hi - lo) * p.halfBodyPadding / 200
}

/// mmpose `RandomBBoxTransform` for one instance: truncated-normal shift, scale and rotation.
func mmposeBBoxTransform(_ sample: inout AugmentedSample, _ p: MMPoseAugmentation, rng: inout SeededRandom) {
    let v = (rng.truncatedNormal(), rng.truncatedNormal(), rng.truncatedNormal(), rng.truncatedNormal())
    var offset = SIMD2(v.0, v.1) * p.shiftFactor
    if !(rng.uniform() < p.shiftProbability) { offset = .zero }
    let (lo, hi) = (p.scaleMin, p.scaleMax)
    var scale = v.2 * (hi - lo) * 0.5 + (hi + lo) * 0.5
    if !(rng.uniform() < p.scaleProbability) { scale = 1 }
    var rotate = v.3 * p.rotateFactor
    if !(rng.uniform() < p.rotateProbability) { rotate = 0 }
    sample.center += offset * sample.scale * 200
    sample.scale *= scale
    sample.rotation = rotate
}

/// mmpose `TopdownAffine._fix_aspect_ratio`: grow the short side so that `w / h == aspectRatio`.
public func fixAspectRatio(_ scale: SIMD2<Double>, aspectRatio: Double) -> SIMD2<Double> {
    scale.x > scale.y * aspectRatio
        ? SIMD2(scale.x, scale.x / aspectRatio)
        : SIMD2(scale.y * aspectRatio, scale.y)
}
