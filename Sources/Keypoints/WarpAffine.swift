// Bilinear affine warp with a zero border, matching `cv2.warpAffine(img, M, (w, h), flags=cv2.INTER_LINEAR)`.
// Two arithmetics: OpenCV >= 4.11 (float32 coordinates and weights with FMA, what opencv-python 4.11+/5.x
// computes; bit-exact with it) and OpenCV <= 4.10 (fixed point: INTER_BITS = 5, INTER_REMAP_COEF_BITS = 15).
// Shapes: images H x W x C interleaved; the normalized fast path writes C x H' x W' float32 (CHW).
import Foundation

/// Which OpenCV `warpAffine` arithmetic to reproduce.
public enum WarpArithmetic: String, Sendable, CaseIterable {
    /// OpenCV >= 4.11 `warpAffineLinearInvoker_8UC*`: float32 matrix, `fma` source coordinates, float32
    /// bilinear weights, round half to even. Bit-exact with opencv-python 5.0 on 8-bit images.
    case float32
    /// OpenCV <= 4.10 `WarpAffineInvoker` + `remapBilinear`: coordinates in 1/32 pixel, 15-bit weights.
    case fixedPoint
}

/// ImageNet normalization applied by the fast path: `(v / 255 - mean[c]) / std[c]`, as torchvision
/// `ToTensor` + `Normalize`.
public struct InputNormalization: Sendable, Equatable {
    public var mean: [Float]
    public var std: [Float]
    /// Write channels in B, G, R order (for checkpoints trained on BGR input, as the original SimpleBaseline
    /// code did by feeding `cv2.imread` output). `mean[c]`/`std[c]` apply to output channel `c` either way.
    public var bgr: Bool

    public init(mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225], bgr: Bool = false) {
        self.mean = mean
        self.std = std
        self.bgr = bgr
    }

    /// ImageNet mean/std in RGB order.
    public static let imageNet = InputNormalization()
}

/// Warps `image` by `matrix` (image → crop, as passed to `cv2.warpAffine`) into an `outputSize` image.
public func warpAffine(_ image: Image, _ matrix: AffineMatrix, outputSize: GridSize,
                       arithmetic: WarpArithmetic = .float32) -> Image {
    var out = Image(width: outputSize.width, height: outputSize.height, channels: image.channels)
    out.pixels.withUnsafeMutableBufferPointer { dst in
        let c = image.channels
        forEachWarpedPixel(image, matrix, outputSize, arithmetic) { x, y, values in
            let o = (y * outputSize.width + x) * c
            for k in 0..<c { dst[o + k] = values[k] }
        }
    }
    return out
}

/// Warps an RGB `image` and writes the normalized float32 crop as [3, H, W] (CHW) at `destination[0..<3*H*W]`.
///
/// Equal to `warpAffine` followed by `ToTensor` and `Normalize` (each pixel is first rounded to 8 bits, as the
/// reference pipeline does).
public func warpAffineNormalized(_ image: Image, _ matrix: AffineMatrix, outputSize: GridSize,
                                 normalization: InputNormalization = .imageNet,
                                 arithmetic: WarpArithmetic = .float32,
                                 into destination: UnsafeMutableBufferPointer<Float>) {
    precondition(image.channels == 3, "warpAffineNormalized: \(image.channels) channels, expected 3")
    let plane = outputSize.area
    precondition(destination.count >= 3 * plane, "warpAffineNormalized: buffer of \(destination.count) floats, expected \(3 * plane)")
    // One lookup table per output channel: 8-bit value → normalized float.
    var lut = [Float](repeating: 0, count: 3 * 256)
    for c in 0..<3 {
        for v in 0..<256 {
            lut[c * 256 + v] = (Float(v) / 255 - normalization.mean[c]) / normalization.std[c]
        }
    }
    let order = normalization.bgr ? [2, 1, 0] : [0, 1, 2]
    lut.withUnsafeBufferPointer { lut in
        forEachWarpedPixel(image, matrix, outputSize, arithmetic) { x, y, values in
            let o = y * outputSize.width + x
            for c in 0..<3 {
                destination[c * plane + o] = lut[c * 256 + Int(values[order[c]])]
            }
        }
    }
}

/// Calls `body(x, y, pixel)` for every output pixel with its interpolated 8-bit values (C <= 4).
@inline(__always)
private func forEachWarpedPixel(_ image: Image, _ matrix: AffineMatrix, _ size: GridSize, _ arithmetic: WarpArithmetic,
                                _ body: (Int, Int, UnsafeMutablePointer<UInt8>) -> Void) {
    let inv = matrix.inverted().values
    let c = image.channels
    precondition(c >= 1 && c <= 4, "warpAffine: \(c) channels, expected 1...4")
    let srcW = image.width, srcH = image.height
    let values = UnsafeMutablePointer<UInt8>.allocate(capacity: 4)
    defer { values.deallocate() }
    image.pixels.withUnsafeBufferPointer { src in
        @inline(__always) func fetch(_ ix: Int, _ iy: Int, _ k: Int) -> Int32 {
            (ix >= 0 && ix < srcW && iy >= 0 && iy < srcH) ? Int32(src[(iy * srcW + ix) * c + k]) : 0
        }
        switch arithmetic {
        case .float32:
            let m = inv.map { Float($0) }
            for y in 0..<size.height {
                // M_x = float(y * M[1] + M[2]) without contraction, as OpenCV's vector path.
                let mx = Float(y) * m[1] + m[2]
                let my = Float(y) * m[4] + m[5]
                for x in 0..<size.width {
                    let fx = Float(x)
                    let sx = mx.addingProduct(m[0], fx)   // fma(M0, x, M_x)
                    let sy = my.addingProduct(m[3], fx)
                    let fsx = sx.rounded(.down), fsy = sy.rounded(.down)
                    guard fsx > -2, fsy > -2, fsx < Float(srcW), fsy < Float(srcH) else {
                        for k in 0..<c { values[k] = 0 }
                        body(x, y, values)
                        continue
                    }
                    let ix = Int(fsx), iy = Int(fsy)
                    let ax = sx - fsx, ay = sy - fsy
                    for k in 0..<c {
                        let p00 = Float(fetch(ix, iy, k)), p01 = Float(fetch(ix + 1, iy, k))
                        let p10 = Float(fetch(ix, iy + 1, k)), p11 = Float(fetch(ix + 1, iy + 1, k))
                        let v0 = p00.addingProduct(ax, p01 - p00)
                        let v1 = p10.addingProduct(ax, p11 - p10)
                        let v = v0.addingProduct(ay, v1 - v0)
                        let r = v.rounded(.toNearestOrEven)
                        values[k] = r <= 0 ? 0 : (r >= 255 ? 255 : UInt8(r))
                    }
                    body(x, y, values)
                }
            }
        case .fixedPoint:
            let abBits = 10, abScale = Double(1 << abBits), interBits = 5, roundDelta = 16
            func cvRound(_ v: Double) -> Int { Int(v.rounded(.toNearestOrEven)) }
            let adelta = (0..<size.width).map { cvRound(inv[0] * Double($0) * abScale) }
            let bdelta = (0..<size.width).map { cvRound(inv[3] * Double($0) * abScale) }
            for y in 0..<size.height {
                let x0 = cvRound((inv[1] * Double(y) + inv[2]) * abScale) + roundDelta
                let y0 = cvRound((inv[4] * Double(y) + inv[5]) * abScale) + roundDelta
                for x in 0..<size.width {
                    let xx = (x0 + adelta[x]) >> (abBits - interBits)
                    let yy = (y0 + bdelta[x]) >> (abBits - interBits)
                    let ix = xx >> interBits, iy = yy >> interBits
                    let ax = Int32(xx & 31), ay = Int32(yy & 31)
                    if ix >= srcW || ix + 1 < 0 || iy >= srcH || iy + 1 < 0 {
                        for k in 0..<c { values[k] = 0 }
                        body(x, y, values)
                        continue
                    }
                    let w00 = (32 - ay) * (32 - ax) * 32, w01 = (32 - ay) * ax * 32
                    let w10 = ay * (32 - ax) * 32, w11 = ay * ax * 32
                    for k in 0..<c {
                        let v = fetch(ix, iy, k) * w00 + fetch(ix + 1, iy, k) * w01
                            + fetch(ix, iy + 1, k) * w10 + fetch(ix + 1, iy + 1, k) * w11
                        let r = (v + (1 << 14)) >> 15
                        values[k] = UInt8(clamping: r)
                    }
                    body(x, y, values)
                }
            }
        }
    }
}
