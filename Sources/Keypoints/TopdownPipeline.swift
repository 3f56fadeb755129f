// One training/evaluation sample of top-down pose estimation, as SimpleBaseline `JointsDataset.__getitem__`
// (or mmpose's pipeline ending in `TopdownAffine` + `GenerateTarget`): augment, crop by affine warp,
// move joints into the crop, encode heatmaps. K = joints, [w, h] = input size, [W, H] = heatmap size.

/// What a sample remembers about its crop, for evaluation and debugging (SimpleBaseline `meta`).
public struct SampleMeta: Sendable, Equatable {
    public var imageId: Int
    public var annotationId: Int?
    public var imagePath: String
    /// Crop box after augmentation, in the (possibly flipped) image.
    public var center: SIMD2<Double>
    /// Crop box size in units of 200 px after augmentation.
    public var scale: SIMD2<Double>
    public var rotation: Double
    public var flipped: Bool
    /// Box score (1 for ground truth).
    public var score: Double
    /// K joints in input-crop pixels (after the affine), as the reference `meta['joints']`.
    public var joints: [SIMD2<Double>]
    /// K visibilities after augmentation.
    public var jointsVisible: [Double]
}

/// A finished sample: the normalized crop, its targets and meta.
public struct TopdownSample: Sendable {
    /// [3, h, w] float32, normalized.
    public var input: [Float]
    /// [K, H, W] heatmaps and [K] weights.
    public var target: HeatmapTarget
    public var meta: SampleMeta
}

/// Which crop transform to use.
public enum CropTransform: Sendable, Equatable {
    /// SimpleBaseline `get_affine_transform` (= mmpose `get_warp_matrix`).
    case standard
    /// mmpose `get_udp_warp_matrix` (pair it with `UDPHeatmapCodec`).
    case udp
}

/// The per-sample pipeline: augmentation recipe, crop and target encoder.
public struct TopdownPipeline: Sendable {
    /// Crop size [w, h] (from the encoder).
    public var inputSize: GridSize
    /// Target encoder: `MSRAHeatmapCodec` (SimpleBaseline) or `UDPHeatmapCodec`.
    public var encoder: any HeatmapEncoder
    /// `.none` for evaluation.
    public var augmentation: AugmentationRecipe
    /// Flip pairs, upper-body joints, joint count.
    public var metainfo: KeypointMetainfo
    /// Input normalization of the crop.
    public var normalization: InputNormalization
    /// Standard (SimpleBaseline) or UDP crop matrix.
    public var crop: CropTransform
    /// Which OpenCV warp arithmetic to reproduce.
    public var arithmetic: WarpArithmetic

    /// A pipeline; the defaults are SimpleBaseline's evaluation crop (192x256, 48x64 heatmaps, sigma 2).
    public init(encoder: any HeatmapEncoder = MSRAHeatmapCodec(), augmentation: AugmentationRecipe = .none,
                metainfo: KeypointMetainfo = .coco, normalization: InputNormalization = .imageNet,
                crop: CropTransform = .standard, arithmetic: WarpArithmetic = .float32) {
        self.inputSize = encoder.inputSize
        self.encoder = encoder
        self.augmentation = augmentation
        self.metainfo = metainfo
        self.normalization = normalization
        self.crop = crop
        self.arithmetic = arithmetic
    }

    /// The crop matrix (image → input) of an augmented sample.
    public func cropMatrix(center: SIMD2<Double>, scale: SIMD2<Double>, rotation: Double) -> AffineMatrix {
        switch crop {
        case .standard:
            return getAffineTransform(center: center, scale: scale, rotation: rotation, outputSize: inputSize)
        case .udp:
            return getUDPWarpMatrix(center: center, scalePixels: scale * 200, rotation: rotation, outputSize: inputSize)
        }
    }

    /// Builds one sample from a person and its image with the sample's own random stream.
    /// - Throws: the image's decoding error (only a file-backed source throws).
    public func makeSample(_ instance: PersonInstance, image: any ImageSource, rng: inout SeededRandom) throws -> TopdownSample {
        var input = [Float](repeating: 0, count: 3 * inputSize.area)
        let (target, meta) = try input.withUnsafeMutableBufferPointer {
            try makeSample(instance, image: image, rng: &rng, input: $0)
        }
        return TopdownSample(input: input, target: target, meta: meta)
    }

    /// `makeSample` writing the normalized [3, h, w] crop into `input` (a batch slot) instead of a new array.
    /// Only the pixels the crop reads are taken from `image` (decoded, for a `JPEGFile`).
    public func makeSample(_ instance: PersonInstance, image: any ImageSource, rng: inout SeededRandom,
                           input: UnsafeMutableBufferPointer<Float>) throws -> (target: HeatmapTarget, meta: SampleMeta) {
        var state = AugmentedSample(imageWidth: image.width, imageHeight: image.height, instance: instance)
        augmentation.apply(&state, metainfo: metainfo, aspectRatio: inputSize.aspectRatio, rng: &rng)
        let matrix = cropMatrix(center: state.center, scale: state.scale, rotation: state.rotation)
        let read = warpSourceRect(matrix, outputSize: inputSize, imageWidth: image.width, imageHeight: image.height)
        // The crop's pixels go to this thread's scratch memory (free again once `window` is gone).
        let scratch = CropScratch.current
        let window = try cropWindow(of: image, reading: read, flipped: state.flipped, reusing: &scratch.bytes)
        warpAffineNormalized(window, matrix, outputSize: inputSize, normalization: normalization,
                             arithmetic: arithmetic, into: input)
        // Joints with visibility > 0 move into the crop; the others stay as they are (reference behaviour).
        var joints = state.joints
        for j in joints.indices where state.jointsVisible[j] > 0 {
            joints[j] = matrix.apply(joints[j])
        }
        let target = encoder.encode(joints: joints, visible: state.jointsVisible)
        let meta = SampleMeta(imageId: instance.imageId, annotationId: instance.annotationId,
                              imagePath: instance.imagePath, center: state.center, scale: state.scale,
                              rotation: state.rotation, flipped: state.flipped, score: instance.score,
                              joints: joints, jointsVisible: state.jointsVisible)
        return (target, meta)
    }
}
