// The SimpleBaseline heatmap codec ("MSRA" in mmpose): unnormalized Gaussian targets on a coarse grid and
// argmax decoding. Encode = SimpleBaseline `JointsDataset.generate_target`; decode = `get_max_preds` +
// `get_final_preds` (quarter offset, then back to the image with the inverse crop transform), DARK optional.
// K = joints, [w, h] = input size, [W, H] = heatmap size.
import Foundation

/// SimpleBaseline/mmpose MSRA heatmap codec: `inputSize` [w, h] crops ↔ K x [H, W] Gaussian heatmaps.
public struct MSRAHeatmapCodec: HeatmapEncoder {
    public var inputSize: GridSize
    public var heatmapSize: GridSize
    /// Gaussian sigma in heatmap cells (2 for 64x48 maps).
    public var sigma: Double
    /// Per-joint loss weights multiplied into the target weights (SimpleBaseline `USE_DIFFERENT_JOINTS_WEIGHT`);
    /// `nil` = all 1.
    public var jointWeights: [Float]?

    public init(inputSize: GridSize = GridSize(width: 192, height: 256),
                heatmapSize: GridSize = GridSize(width: 48, height: 64),
                sigma: Double = 2, jointWeights: [Float]? = nil) {
        self.inputSize = inputSize
        self.heatmapSize = heatmapSize
        self.sigma = sigma
        self.jointWeights = jointWeights
    }

    /// A codec whose target weights carry the per-joint loss weights of `metainfo` (all 1 for COCO).
    public init(inputSize: GridSize, heatmapSize: GridSize, sigma: Double, metainfo: KeypointMetainfo) {
        self.init(inputSize: inputSize, heatmapSize: heatmapSize, sigma: sigma, jointWeights: metainfo.jointWeights)
    }

    /// Targets exactly as SimpleBaseline `generate_target`: `mu = int(joint / stride + 0.5)`, a (6σ+1)² window,
    /// weight 0 when the joint is unlabelled or the window misses the map, the window pasted (not maxed) for
    /// labelled joints. Values are float32 `exp(-d²/(2σ²))` with numpy's float32 `exp`, so they equal the
    /// reference bit for bit.
    public func encode(joints: [SIMD2<Double>], visible: [Double]) -> HeatmapTarget {
        let k = joints.count
        let (w, h) = (heatmapSize.width, heatmapSize.height)
        var heatmaps = [Float](repeating: 0, count: k * w * h)
        var weights = visible.map { Float($0) }
        let tmpSize = sigma * 3
        let strideX = Double(inputSize.width) / Double(w)
        let strideY = Double(inputSize.height) / Double(h)
        let size = 2 * tmpSize + 1
        let n = Int(size.rounded(.up))                 // len(np.arange(0, size, 1))
        let center = Float((size / 2).rounded(.down))  // size // 2
        let denominator = Float(2 * sigma * sigma)
        var gaussian = [Float](repeating: 0, count: n * n)
        for gy in 0..<n {
            for gx in 0..<n {
                let dx = Float(gx) - center, dy = Float(gy) - center
                gaussian[gy * n + gx] = numpyExp(-(dx * dx + dy * dy) / denominator)
            }
        }
        for j in 0..<k {
            let muX = Int(joints[j].x / strideX + 0.5)
            let muY = Int(joints[j].y / strideY + 0.5)
            let ul = (Int(Double(muX) - tmpSize), Int(Double(muY) - tmpSize))
            let br = (Int(Double(muX) + tmpSize + 1), Int(Double(muY) + tmpSize + 1))
            if ul.0 >= w || ul.1 >= h || br.0 < 0 || br.1 < 0 {
                weights[j] = 0
                continue
            }
            let gx0 = max(0, -ul.0), gy0 = max(0, -ul.1)
            let ix0 = max(0, ul.0), ix1 = min(br.0, w)
            let iy0 = max(0, ul.1), iy1 = min(br.1, h)
            guard weights[j] > 0.5 else { continue }
            for iy in iy0..<iy1 {
                let gy = gy0 + (iy - iy0)
                for ix in ix0..<ix1 {
                    heatmaps[(j * h + iy) * w + ix] = gaussian[gy * n + gx0 + (ix - ix0)]
                }
            }
        }
        if let jointWeights {
            for j in 0..<k { weights[j] *= jointWeights[j] }
        }
        return HeatmapTarget(heatmaps: heatmaps, weights: weights)
    }

    /// Joint positions in heatmap cells: SimpleBaseline `get_max_preds`, then the chosen refinement.
    /// - Parameter heatmaps: [K, H, W] float32.
    public func heatmapCoordinates(_ heatmaps: [Float], refinement: HeatmapRefinement = .quarterOffset) -> [KeypointPrediction] {
        let (w, h) = (heatmapSize.width, heatmapSize.height)
        let plane = w * h
        precondition(heatmaps.count % plane == 0, "MSRAHeatmapCodec.decode: \(heatmaps.count) values, expected K x \(h) x \(w)")
        let k = heatmaps.count / plane
        var result: [KeypointPrediction] = []
        var blurred: [Float] = []
        if case .dark(let kernel) = refinement {
            blurred = darkModulate(heatmaps, joints: k, size: heatmapSize, kernel: kernel)
        }
        heatmaps.withUnsafeBufferPointer { all in
            for j in 0..<k {
                let map = UnsafeBufferPointer(rebasing: all[(j * plane)..<((j + 1) * plane)])
                var (coord, value) = heatmapArgmax(map, width: w)
                switch refinement {
                case .none:
                    break
                case .quarterOffset:
                    let px = Int((coord.x + 0.5).rounded(.down))
                    let py = Int((coord.y + 0.5).rounded(.down))
                    if 1 < px && px < w - 1 && 1 < py && py < h - 1 {
                        let diffX = map[py * w + px + 1] - map[py * w + px - 1]
                        let diffY = map[(py + 1) * w + px] - map[(py - 1) * w + px]
                        coord.x += sign(diffX) * 0.25
                        coord.y += sign(diffY) * 0.25
                    }
                case .dark:
                    let refined = blurred.withUnsafeBufferPointer {
                        darkRefine(SIMD2(Double(coord.x), Double(coord.y)),
                                   UnsafeBufferPointer(rebasing: $0[(j * plane)..<((j + 1) * plane)]), size: heatmapSize)
                    }
                    result.append(KeypointPrediction(position: refined, score: value))
                    continue
                }
                result.append(KeypointPrediction(position: SIMD2(Double(coord.x), Double(coord.y)), score: value))
            }
        }
        return result
    }

    /// Joint positions in the original image: `heatmapCoordinates` mapped back as SimpleBaseline `transform_preds`
    /// (inverse `get_affine_transform(center, scale, 0, [W, H])`), rounded to float32 like the reference's output.
    /// - Parameters:
    ///   - heatmaps: [K, H, W] float32 for one person.
    ///   - center, scale: the crop's box, as in `PersonInstance` (scale in units of 200 px).
    public func decode(_ heatmaps: [Float], center: SIMD2<Double>, scale: SIMD2<Double>,
                       refinement: HeatmapRefinement = .quarterOffset) -> [KeypointPrediction] {
        let back = getAffineTransform(center: center, scale: scale, rotation: 0, outputSize: heatmapSize, inverse: true)
        // The reference writes the mapped points back into its float32 `coords` array.
        return heatmapCoordinates(heatmaps, refinement: refinement).map {
            let p = back.apply($0.position)
            return KeypointPrediction(position: SIMD2(Double(Float(p.x)), Double(Float(p.y))), score: $0.score)
        }
    }
}

/// numpy `np.sign` for float32.
@inline(__always)
func sign(_ v: Float) -> Float { v > 0 ? 1 : (v < 0 ? -1 : 0) }
