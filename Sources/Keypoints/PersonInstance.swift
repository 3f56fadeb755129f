// One person to crop: the unit the top-down pipeline works on (a SimpleBaseline `db` record).
// K = number of joints.

/// A person box with its joints: SimpleBaseline's `db` entry (`center`, `scale`, `joints_3d`, `joints_3d_vis`).
public struct PersonInstance: Sendable, Equatable {
    /// COCO image id.
    public var imageId: Int
    /// COCO annotation id; `nil` for instances made from detector boxes.
    public var annotationId: Int?
    /// Path of the image file.
    public var imagePath: String
    /// Box center in image pixels (float32 values, as the reference stores them).
    public var center: SIMD2<Double>
    /// Box size in units of `pixelStd` (200 px), padded ×1.25 and fixed to the input aspect ratio.
    public var scale: SIMD2<Double>
    /// Detector score (1 for ground-truth boxes).
    public var score: Double
    /// K joint positions in image pixels.
    public var joints: [SIMD2<Double>]
    /// K visibilities: 1 if labelled (COCO v = 1 or 2), 0 if not.
    public var jointsVisible: [Double]
    /// The box size ×1.25 in units of 200 px *before* the aspect-ratio fix: mmpose's `bbox_scale` after
    /// `GetBBoxCenterScale`, which its `RandomHalfBody`/`RandomBBoxTransform` read. `nil` = use `scale`.
    public var paddedBoxSize: SIMD2<Double>?

    public init(imageId: Int, annotationId: Int?, imagePath: String, center: SIMD2<Double>, scale: SIMD2<Double>,
                score: Double, joints: [SIMD2<Double>], jointsVisible: [Double], paddedBoxSize: SIMD2<Double>? = nil) {
        self.imageId = imageId
        self.annotationId = annotationId
        self.imagePath = imagePath
        self.center = center
        self.scale = scale
        self.score = score
        self.joints = joints
        self.jointsVisible = jointsVisible
        self.paddedBoxSize = paddedBoxSize
    }
}

/// Box-to-(center, scale) conversion as SimpleBaseline `COCODataset._xywh2cs`.
public struct BoxToCenterScale: Sendable {
    /// Crop aspect ratio `w / h` (192 / 256 = 0.75 for COCO).
    public var aspectRatio: Double
    /// The reference's `pixel_std`: scale is the box size divided by this.
    public var pixelStd: Double = 200
    /// Padding applied after the aspect fix (SimpleBaseline: 1.25).
    public var padding: Float = 1.25

    public init(inputSize: GridSize, pixelStd: Double = 200, padding: Float = 1.25) {
        self.aspectRatio = inputSize.aspectRatio
        self.pixelStd = pixelStd
        self.padding = padding
    }

    /// `[x, y, w, h]` → (center, scale), rounding to float32 where the reference stores float32 arrays.
    /// Also see `paddedBoxSize(w:h:)`.
    public func callAsFunction(x: Double, y: Double, w: Double, h: Double) -> (center: SIMD2<Double>, scale: SIMD2<Double>) {
        let center = SIMD2(Double(Float(x + w * 0.5)), Double(Float(y + h * 0.5)))
        var w = w, h = h
        if w > aspectRatio * h {
            h = w * 1.0 / aspectRatio
        } else if w < aspectRatio * h {
            w = h * aspectRatio
        }
        // np.array([w / 200, h / 200], float32) * 1.25 stays float32 in the reference.
        // (The reference skips the padding when center.x == -1, a sentinel no real box produces.)
        let pad = center.x != -1 ? padding : 1
        let sw = Float(w * 1.0 / pixelStd) * pad
        let sh = Float(h * 1.0 / pixelStd) * pad
        return (center, SIMD2(Double(sw), Double(sh)))
    }

    /// `[w, h] × padding / pixelStd` without the aspect fix (mmpose `bbox_xywh2cs(padding=1.25)` in 200-px units).
    public func paddedBoxSize(w: Double, h: Double) -> SIMD2<Double> {
        SIMD2(w, h) * Double(padding) / pixelStd
    }
}
