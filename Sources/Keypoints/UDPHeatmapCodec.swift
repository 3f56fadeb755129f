// mmpose `UDPHeatmap` (Huang et al., "The Devil is in the Details", CVPR 2020), Gaussian variant:
// keypoints scaled by (size-1) ratios, Gaussians centred at the exact sub-cell position, decoded with
// `refine_keypoints_dark_udp`. Use it with `getUDPWarpMatrix` crops. K = joints, [W, H] = heatmap size.
import Foundation

/// mmpose `UDPHeatmap(heatmap_type='gaussian')`.
public struct UDPHeatmapCodec: HeatmapEncoder {
    public var inputSize: GridSize
    public var heatmapSize: GridSize
    public var sigma: Double
    /// DARK-UDP blur kernel (mmpose default 11).
    public var blurKernel: Int
    public var jointWeights: [Float]?

    public init(inputSize: GridSize = GridSize(width: 192, height: 256),
                heatmapSize: GridSize = GridSize(width: 48, height: 64),
                sigma: Double = 2, blurKernel: Int = 11, jointWeights: [Float]? = nil) {
        self.inputSize = inputSize
        self.heatmapSize = heatmapSize
        self.sigma = sigma
        self.blurKernel = blurKernel
        self.jointWeights = jointWeights
    }

    /// mmpose `generate_udp_gaussian_heatmaps` after scaling input coordinates by `(W-1)/(w-1)`, `(H-1)/(h-1)`.
    public func encode(joints: [SIMD2<Double>], visible: [Double]) -> HeatmapTarget {
        let (w, h) = (heatmapSize.width, heatmapSize.height)
        let k = joints.count
        let factor = SIMD2(Double(w - 1) / Double(inputSize.width - 1), Double(h - 1) / Double(inputSize.height - 1))
        var heatmaps = [Float](repeating: 0, count: k * w * h)
        var weights = visible.map { Float($0) }
        let radius = sigma * 3
        let size = 2 * radius + 1
        let n = Int(size.rounded(.up))
        for j in 0..<k {
            guard visible[j] >= 0.5 else { continue }
            let kp = joints[j] * factor
            let mu = (Int(kp.x + 0.5), Int(kp.y + 0.5))
            let left = Int(Double(mu.0) - radius), top = Int(Double(mu.1) - radius)
            let right = Int(Double(mu.0) + radius + 1), bottom = Int(Double(mu.1) + radius + 1)
            if left >= w || top >= h || right < 0 || bottom < 0 {
                weights[j] = 0
                continue
            }
            let x0 = (size / 2).rounded(.down) + (kp.x - Double(mu.0))
            let y0 = (size / 2).rounded(.down) + (kp.y - Double(mu.1))
            for hy in max(0, top)..<min(h, bottom) {
                let gy = Double(hy - top)
                guard hy - top < n else { continue }
                for hx in max(0, left)..<min(w, right) where hx - left < n {
                    let gx = Double(hx - left)
                    let value = Float(exp(-((gx - x0) * (gx - x0) + (gy - y0) * (gy - y0)) / (2 * sigma * sigma)))
                    let index = (j * h + hy) * w + hx
                    heatmaps[index] = max(heatmaps[index], value)
                }
            }
        }
        if let jointWeights {
            for j in 0..<k { weights[j] *= jointWeights[j] }
        }
        return HeatmapTarget(heatmaps: heatmaps, weights: weights)
    }

    /// Joint positions in input-crop pixels: mmpose `UDPHeatmap.decode` (argmax, -1 when the maximum is not
    /// positive, DARK-UDP, then `/ [W-1, H-1] * input_size`).
    public func decodeToInput(_ heatmaps: [Float]) -> [KeypointPrediction] {
        let (w, h) = (heatmapSize.width, heatmapSize.height)
        let plane = w * h
        let k = heatmaps.count / plane
        let logMaps = darkModulate(heatmaps, joints: k, size: heatmapSize, kernel: blurKernel, clamp: 1e-3...50)
        var result: [KeypointPrediction] = []
        heatmaps.withUnsafeBufferPointer { all in
            logMaps.withUnsafeBufferPointer { logs in
                for j in 0..<k {
                    let map = UnsafeBufferPointer(rebasing: all[(j * plane)..<((j + 1) * plane)])
                    var best = 0
                    for i in 1..<plane where map[i] > map[best] { best = i }
                    let value = map[best]
                    var p = value > 0 ? SIMD2(Double(best % w), Double(best / w)) : SIMD2<Double>(-1, -1)
                    p = darkRefineUDP(p, UnsafeBufferPointer(rebasing: logs[(j * plane)..<((j + 1) * plane)]), size: heatmapSize)
                    let scaled = p / SIMD2(Double(w - 1), Double(h - 1)) * SIMD2(Double(inputSize.width), Double(inputSize.height))
                    result.append(KeypointPrediction(position: scaled, score: value))
                }
            }
        }
        return result
    }

    /// Joint positions in the image: `decodeToInput` mapped as mmpose's top-down estimator
    /// (`kp / input_size * scale_px + center - scale_px / 2`), with `scale` in units of 200 px.
    public func decode(_ heatmaps: [Float], center: SIMD2<Double>, scale: SIMD2<Double>) -> [KeypointPrediction] {
        let scalePx = scale * 200
        let input = SIMD2(Double(inputSize.width), Double(inputSize.height))
        return decodeToInput(heatmaps).map {
            KeypointPrediction(position: $0.position / input * scalePx + center - 0.5 * scalePx, score: $0.score)
        }
    }
}
