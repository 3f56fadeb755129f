// Flip test as SimpleBaseline `validate` (lib/core/function.py): the heatmaps of the mirrored crop are mirrored
// back with left/right joints swapped (`flip_back`, lib/utils/transforms.py), shifted one pixel to the right
// (`TEST.SHIFT_HEATMAP`: `output_flipped[:, :, :, 1:] = output_flipped[:, :, :, 0:-1]`, column 0 kept),
// then averaged with the plain output: `(output + output_flipped) * 0.5`.
// N = crops, K = joints, H × W = heatmap size; arrays are [N, K, H, W] row-major Float.

/// The size of a batch of heatmaps `[N, K, H, W]`.
public struct HeatmapBatchShape: Sendable, Equatable {
    public var n: Int
    public var k: Int
    public var height: Int
    public var width: Int

    public init(n: Int, k: Int, height: Int, width: Int) {
        self.n = n
        self.k = k
        self.height = height
        self.width = width
    }

    public var count: Int { n * k * height * width }
}

/// Heatmaps `[N, K, H, W]` of mirrored crops brought back to the unmirrored frame, as SimpleBaseline
/// `flip_back` (reverse W, then swap each flip pair in order), followed when `shiftHeatmap` is set by the
/// one-pixel shift right of `SHIFT_HEATMAP` (column 0 keeps its value).
public func flipBack(_ flipped: [Float], shape: HeatmapBatchShape, flipPairs: [(Int, Int)],
                     shiftHeatmap: Bool = true) -> [Float] {
    precondition(flipped.count == shape.count,
                 "flipBack: \(flipped.count) values for shape [\(shape.n), \(shape.k), \(shape.height), \(shape.width)]")
    // source[c]: the flipped channel that lands in channel c after the pair swaps.
    var source = Array(0..<shape.k)
    for (a, b) in flipPairs { source.swapAt(a, b) }
    let w = shape.width
    var out = [Float](repeating: 0, count: flipped.count)
    for n in 0..<shape.n {
        for c in 0..<shape.k {
            let dst = (n * shape.k + c) * shape.height * w
            let src = (n * shape.k + source[c]) * shape.height * w
            for y in 0..<shape.height {
                let row = y * w
                for x in 0..<w {
                    // Mirrored: out[x] = in[W-1-x]; shifted: out[x] = mirrored[x-1] = in[W-x] for x >= 1.
                    let from = shiftHeatmap && x > 0 ? w - x : w - 1 - x
                    out[dst + row + x] = flipped[src + row + from]
                }
            }
        }
    }
    return out
}

/// The flip-test heatmaps `[N, K, H, W]`: `(output + flipBack(flippedOutput)) * 0.5`, as SimpleBaseline `validate`.
public func flipTestAverage(output: [Float], flippedOutput: [Float], shape: HeatmapBatchShape,
                            flipPairs: [(Int, Int)], shiftHeatmap: Bool = true) -> [Float] {
    precondition(output.count == shape.count,
                 "flipTestAverage: \(output.count) values for shape [\(shape.n), \(shape.k), \(shape.height), \(shape.width)]")
    let back = flipBack(flippedOutput, shape: shape, flipPairs: flipPairs, shiftHeatmap: shiftHeatmap)
    return zip(output, back).map { ($0 + $1) * 0.5 }
}
