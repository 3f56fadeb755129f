// The keypoint evaluation parameters of pycocotools `Params.setKpParams`, with NumPy's exact threshold values.
import Keypoints

/// Thresholds, area ranges and detection limits of a COCO keypoint evaluation.
public struct CocoEvalParams: Sendable {
    /// OKS thresholds `.50:.05:.95`: `np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1)`.
    public var iouThresholds: [Double]
    /// Recall thresholds `0:.01:1`: `np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1)`.
    public var recallThresholds: [Double]
    /// Detections kept per image, ascending (pycocotools sorts them); only the last one limits `evaluateImg`.
    public var maxDets: [Int]
    /// Object area ranges `[lo, hi]` (both inclusive), with their labels.
    public var areaRanges: [(label: String, low: Double, high: Double)]
    /// Per-keypoint OKS sigmas (`kpt_oks_sigmas`).
    public var sigmas: [Double]

    /// The defaults of `COCOeval(gt, dt, 'keypoints')`: maxDets 20, areas all / medium / large, COCO sigmas.
    public static let keypoints = CocoEvalParams(
        iouThresholds: numpyLinspace(0.5, 0.95, count: Int(((0.95 - 0.5) / 0.05).rounded(.toNearestOrEven)) + 1),
        recallThresholds: numpyLinspace(0.0, 1.00, count: Int(((1.00 - 0.0) / 0.01).rounded(.toNearestOrEven)) + 1),
        maxDets: [20],
        areaRanges: [("all", 0, 1e5 * 1e5), ("medium", 32 * 32, 96 * 96), ("large", 96 * 96, 1e5 * 1e5)],
        sigmas: KeypointMetainfo.coco.sigmas)

    public init(iouThresholds: [Double], recallThresholds: [Double], maxDets: [Int],
                areaRanges: [(label: String, low: Double, high: Double)], sigmas: [Double]) {
        self.iouThresholds = iouThresholds
        self.recallThresholds = recallThresholds
        self.maxDets = maxDets.sorted()
        self.areaRanges = areaRanges
        self.sigmas = sigmas
    }
}
