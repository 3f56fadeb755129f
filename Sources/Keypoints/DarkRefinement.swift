// DARK sub-pixel refinement (Zhang et al., CVPR 2020) as mmpose `codecs/utils/refinement.py`
// (`refine_keypoints_dark`, `refine_keypoints_dark_udp`) and `post_processing.gaussian_blur`.
// K = joints, [W, H] = heatmap size.
import Foundation

/// mmpose `gaussian_blur` + `log`: each [H, W] map zero-padded by (kernel-1)/2, blurred with OpenCV's sigma-0
/// Gaussian, rescaled to its old maximum, clamped to >= 1e-10 and logged. Computed in double, stored float32.
func darkModulate(_ heatmaps: [Float], joints k: Int, size: GridSize, kernel: Int,
                  clamp: ClosedRange<Double> = 1e-10...Double.greatestFiniteMagnitude) -> [Float] {
    precondition(kernel % 2 == 1, "DARK: blur kernel \(kernel) must be odd")
    let (w, h) = (size.width, size.height)
    let r = (kernel - 1) / 2
    // cv2.getGaussianKernel(kernel, 0): sigma = 0.3 * ((k - 1) * 0.5 - 1) + 0.8
    let sigma = 0.3 * (Double(kernel - 1) * 0.5 - 1) + 0.8
    var g = (0..<kernel).map { exp(-Double(($0 - r) * ($0 - r)) / (2 * sigma * sigma)) }
    let total = g.reduce(0, +)
    g = g.map { $0 / total }
    var out = [Float](repeating: 0, count: heatmaps.count)
    var tmp = [Double](repeating: 0, count: w * h)
    for j in 0..<k {
        let base = j * w * h
        let originMax = Double(heatmaps[base..<(base + w * h)].max() ?? 0)
        // Horizontal pass (zeros outside: the padding is wide enough that OpenCV's border never matters).
        for y in 0..<h {
            for x in 0..<w {
                var s = 0.0
                for t in -r...r where x + t >= 0 && x + t < w { s += g[t + r] * Double(heatmaps[base + y * w + x + t]) }
                tmp[y * w + x] = s
            }
        }
        var blurred = [Double](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                var s = 0.0
                for t in -r...r where y + t >= 0 && y + t < h { s += g[t + r] * tmp[(y + t) * w + x] }
                blurred[y * w + x] = s
            }
        }
        let newMax = blurred.max() ?? 0
        let factor = newMax != 0 ? originMax / newMax : 0
        for i in 0..<(w * h) {
            let v = min(max(blurred[i] * factor, clamp.lowerBound), clamp.upperBound)
            out[base + i] = Float(log(v))
        }
    }
    return out
}

/// One Newton step on a log-heatmap from the integer location `p`, as mmpose `refine_keypoints_dark`
/// (applied only when 1 < x < W-2 and 1 < y < H-2, and the Hessian is invertible).
func darkRefine(_ p: SIMD2<Double>, _ logMap: UnsafeBufferPointer<Float>, size: GridSize) -> SIMD2<Double> {
    let (w, h) = (size.width, size.height)
    let x = Int(p.x), y = Int(p.y)
    guard 1 < x && x < w - 2 && 1 < y && y < h - 2 else { return p }
    func v(_ yy: Int, _ xx: Int) -> Double { Double(logMap[yy * w + xx]) }
    let dx = 0.5 * (v(y, x + 1) - v(y, x - 1))
    let dy = 0.5 * (v(y + 1, x) - v(y - 1, x))
    let dxx = 0.25 * (v(y, x + 2) - 2 * v(y, x) + v(y, x - 2))
    let dxy = 0.25 * (v(y + 1, x + 1) - v(y - 1, x + 1) - v(y + 1, x - 1) + v(y - 1, x - 1))
    let dyy = 0.25 * (v(y + 2, x) - 2 * v(y, x) + v(y - 2, x))
    let det = dxx * dyy - dxy * dxy
    guard det != 0 else { return p }
    // offset = -H^-1 d
    let ox = -(dyy * dx - dxy * dy) / det
    let oy = -(-dxy * dx + dxx * dy) / det
    return SIMD2(p.x + ox, p.y + oy)
}

/// mmpose `refine_keypoints_dark_udp` for one joint: edge-padded log-map, central differences of width 1,
/// Hessian regularised by float32 epsilon.
func darkRefineUDP(_ p: SIMD2<Double>, _ logMap: UnsafeBufferPointer<Float>, size: GridSize) -> SIMD2<Double> {
    let (w, h) = (size.width, size.height)
    // index into the (H+2) x (W+2) edge-padded map, as the reference's flat index
    func v(_ yy: Int, _ xx: Int) -> Double {
        let cy = min(max(yy - 1, 0), h - 1), cx = min(max(xx - 1, 0), w - 1)
        return Double(logMap[cy * w + cx])
    }
    let flat = Int(p.x + 1 + (p.y + 1) * Double(w + 2))
    let py = flat / (w + 2), px = flat % (w + 2)
    let i = v(py, px), ix1 = v(py, px + 1), iy1 = v(py + 1, px), ix1y1 = v(py + 1, px + 1)
    let ix1y1m = v(py - 1, px - 1), ix1m = v(py, px - 1), iy1m = v(py - 1, px)
    let dx = 0.5 * (ix1 - ix1m)
    let dy = 0.5 * (iy1 - iy1m)
    let dxx = ix1 - 2 * i + ix1m
    let dyy = iy1 - 2 * i + iy1m
    let dxy = 0.5 * (ix1y1 - ix1 - iy1 + i + i - ix1m - iy1m + ix1y1m)
    let eps = Double(Float.ulpOfOne)
    let a = dxx + eps, b = dxy, c = dxy, d = dyy + eps
    let det = a * d - b * c
    guard det != 0 else { return p }
    let ox = (d * dx - b * dy) / det
    let oy = (-c * dx + a * dy) / det
    return SIMD2(p.x - ox, p.y - oy)
}
