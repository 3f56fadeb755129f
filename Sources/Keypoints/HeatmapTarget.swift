// Training targets and decoded predictions shared by the heatmap codecs.
// K = joints, H x W = heatmap size.

/// Target heatmaps and per-joint weights for one person.
public struct HeatmapTarget: Sendable, Equatable {
    /// [K, H, W] float32, row-major.
    public var heatmaps: [Float]
    /// [K]: 0 for unlabelled joints or joints whose Gaussian falls off the map, else the joint weight.
    public var weights: [Float]
}

/// One decoded joint.
public struct KeypointPrediction: Sendable, Equatable {
    /// Position (image pixels after `decode(…center:scale:)`, heatmap cells from `heatmapCoordinates`).
    public var position: SIMD2<Double>
    /// The heatmap maximum (SimpleBaseline `maxvals`).
    public var score: Float
}

/// How a heatmap argmax is refined to sub-pixel precision.
public enum HeatmapRefinement: Sendable, Equatable {
    /// The integer argmax only.
    case none
    /// SimpleBaseline `get_final_preds` with `POST_PROCESS`: a quarter cell toward the higher neighbour.
    case quarterOffset
    /// DARK (Zhang et al. 2020) as mmpose `refine_keypoints_dark`: Gaussian-blur the map with this odd kernel
    /// size (11 for sigma 2, 17 for sigma 3), take its log, one Newton step from the argmax.
    case dark(blurKernel: Int)
}

/// Something that turns input-space joints into heatmap targets (MSRA/SimpleBaseline or UDP).
public protocol HeatmapEncoder: Sendable {
    var inputSize: GridSize { get }
    var heatmapSize: GridSize { get }
    /// K joints in input-crop pixels and their visibilities → targets.
    func encode(joints: [SIMD2<Double>], visible: [Double]) -> HeatmapTarget
}

/// SimpleBaseline `get_max_preds` for one [H, W] map: argmax (first maximum) as (x, y) in float32 and its value;
/// (0, 0) when the maximum is not positive.
func heatmapArgmax(_ map: UnsafeBufferPointer<Float>, width: Int) -> (SIMD2<Float>, Float) {
    var best = 0
    var value = map[0]
    for i in 1..<map.count where map[i] > value {
        value = map[i]
        best = i
    }
    // NaN: numpy argmax returns the first NaN; keep the reference's mask rule (NaN > 0 is false → 0, 0).
    if map.contains(where: { $0.isNaN }) {
        let first = map.firstIndex(where: { $0.isNaN })!
        return (.zero, map[first])
    }
    guard value > 0 else { return (.zero, value) }
    return (SIMD2(Float(best % width), Float(best / width)), value)
}
