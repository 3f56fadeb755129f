// Bilinear affine warp with a zero border, matching `cv2.warpAffine(img, M, (w, h), flags=cv2.INTER_LINEAR)`.
// Two arithmetics: OpenCV >= 4.11 (float32 coordinates and weights with FMA, what opencv-python 4.11+/5.x
// computes; bit-exact with it) and OpenCV <= 4.10 (fixed point: INTER_BITS = 5, INTER_REMAP_COEF_BITS = 15).
// Shapes: images H x W x C interleaved; the normalized fast path writes C x H' x W' float32 (CHW).
import CWarp
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

/// Part of an image, for warps that read only what they need: `pixels` is the rectangle at (`x`, `y`) of an
/// image of `imageWidth` x `imageHeight`. Every pixel of the image that a warp reads must lie in the window
/// (`warpSourceRect` says which ones a crop reads); the warp's result is then that of the whole image.
public struct ImageWindow: Sendable {
    public var pixels: Image
    public var x: Int
    public var y: Int
    public var imageWidth: Int
    public var imageHeight: Int

    public init(pixels: Image, x: Int, y: Int, imageWidth: Int, imageHeight: Int) {
        self.pixels = pixels
        self.x = x
        self.y = y
        self.imageWidth = imageWidth
        self.imageHeight = imageHeight
    }

    /// A whole image.
    public init(_ image: Image) {
        self.init(pixels: image, x: 0, y: 0, imageWidth: image.width, imageHeight: image.height)
    }
}

/// The pixels of a `width` x `height` image that warping it by `matrix` (image → crop) into `outputSize`
/// reads: the bounding box of the output grid mapped back, widened by each bilinear tap's right/bottom
/// neighbour and a 2-pixel margin for the float32 / fixed-point rounding of the coordinates, clipped to the
/// image. Empty when the crop lies entirely outside.
public func warpSourceRect(_ matrix: AffineMatrix, outputSize: GridSize, imageWidth width: Int,
                           imageHeight height: Int) -> PixelRect {
    let inverse = matrix.inverted()
    let corners = [SIMD2(0.0, 0.0), SIMD2(Double(outputSize.width - 1), 0), SIMD2(0, Double(outputSize.height - 1)),
                   SIMD2(Double(outputSize.width - 1), Double(outputSize.height - 1))].map { inverse.apply($0) }
    guard corners.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else {
        return PixelRect(x: 0, y: 0, width: width, height: height)
    }
    let margin = 2.0
    let low = corners.reduce(SIMD2(Double.infinity, .infinity)) { pointwiseMin($0, $1) } - margin
    let high = corners.reduce(SIMD2(-Double.infinity, -.infinity)) { pointwiseMax($0, $1) } + margin + 1
    func index(_ v: Double, _ size: Int) -> Int { Int(min(max(v, 0), Double(size)).rounded(.down)) }
    let x0 = index(low.x, width), y0 = index(low.y, height)
    let x1 = min(width, index(high.x, width) + 1), y1 = min(height, index(high.y, height) + 1)
    guard x1 > x0, y1 > y0 else { return PixelRect(x: 0, y: 0, width: 0, height: 0) }
    return PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
}

/// Warps `image` by `matrix` (image → crop, as passed to `cv2.warpAffine`) into an `outputSize` image.
public func warpAffine(_ image: Image, _ matrix: AffineMatrix, outputSize: GridSize,
                       arithmetic: WarpArithmetic = .float32) -> Image {
    var out = Image(width: outputSize.width, height: outputSize.height, channels: image.channels)
    let c = image.channels
    out.pixels.withUnsafeMutableBufferPointer { dst in
        warpRows(ImageWindow(image), matrix, outputSize, arithmetic) { x, y, values in
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
    warpAffineNormalized(ImageWindow(image), matrix, outputSize: outputSize, normalization: normalization,
                         arithmetic: arithmetic, into: destination)
}

/// `warpAffineNormalized` of the image a window belongs to, reading only the window.
public func warpAffineNormalized(_ window: ImageWindow, _ matrix: AffineMatrix, outputSize: GridSize,
                                 normalization: InputNormalization = .imageNet,
                                 arithmetic: WarpArithmetic = .float32,
                                 into destination: UnsafeMutableBufferPointer<Float>) {
    warpAffineNormalized(window, matrix, outputSize: outputSize, normalization: normalization, arithmetic: arithmetic,
                         kernel: .fastest, into: destination)
}

/// The C loops of the `.float32` normalized warp; all give the same bits (tests run each).
enum WarpKernel: CaseIterable {
    /// AVX2 gathers, 8 pixels at a time, where the CPU has AVX2 + FMA; otherwise `.portable`.
    case fastest
    /// One pixel at a time with hardware FMA where the CPU has it.
    case scalar
    /// One pixel at a time with libm `fmaf`: what CPUs without FMA run.
    case portable
}

/// `warpAffineNormalized` with a chosen C loop.
func warpAffineNormalized(_ window: ImageWindow, _ matrix: AffineMatrix, outputSize: GridSize,
                          normalization: InputNormalization, arithmetic: WarpArithmetic, kernel: WarpKernel,
                          into destination: UnsafeMutableBufferPointer<Float>) {
    precondition(window.pixels.channels == 3, "warpAffineNormalized: \(window.pixels.channels) channels, expected 3")
    let plane = outputSize.area
    precondition(destination.count >= 3 * plane, "warpAffineNormalized: buffer of \(destination.count) floats, expected \(3 * plane)")
    // One lookup table per output channel (8-bit value → normalized float), indexed by the source channel.
    var lut = [Float](repeating: 0, count: 3 * 256)
    for c in 0..<3 {
        let source = normalization.bgr ? 2 - c : c
        for v in 0..<256 {
            lut[source * 256 + v] = (Float(v) / 255 - normalization.mean[c]) / normalization.std[c]
        }
    }
    let outChannel = normalization.bgr ? [2, 1, 0] : [0, 1, 2]  // output plane of each source channel
    let (p0, p1, p2) = (outChannel[0] * plane, outChannel[1] * plane, outChannel[2] * plane)
    if arithmetic == .float32 {
        lut.withUnsafeBufferPointer { lut in
            warpRGBNormalizedFloat32(window, matrix, outputSize, lut: lut, planes: (p0, p1, p2), kernel: kernel,
                                     into: destination)
        }
        return
    }
    lut.withUnsafeBufferPointer { lut in
        warpRows(window, matrix, outputSize, arithmetic) { x, y, values in
            let o = y * outputSize.width + x
            destination[p0 + o] = lut[Int(values[0])]
            destination[p1 + o] = lut[256 + Int(values[1])]
            destination[p2 + o] = lut[512 + Int(values[2])]
        }
    }
}

/// The `.float32` warp of a 3-channel image straight into normalized CHW planes, in C (`CWarp`): the same
/// arithmetic as `warpRows` + `Source.sampleFloat32`, with hardware FMA where the CPU has it.
private func warpRGBNormalizedFloat32(_ window: ImageWindow, _ matrix: AffineMatrix, _ size: GridSize,
                                      lut: UnsafeBufferPointer<Float>, planes: (Int, Int, Int), kernel: WarpKernel,
                                      into destination: UnsafeMutableBufferPointer<Float>) {
    let warp = switch kernel {
    case .fastest: swiftpose_warp_rgb_normalized
    case .scalar: swiftpose_warp_rgb_normalized_scalar
    case .portable: swiftpose_warp_rgb_normalized_portable
    }
    let inv = matrix.inverted().values.map { Float($0) }
    let out = destination.baseAddress!
    let image = window.pixels
    image.pixels.withUnsafeBufferPointer { pixels in
        inv.withUnsafeBufferPointer { m in
            warp(pixels.baseAddress, Int32(window.x), Int32(window.y), Int32(image.width), Int32(image.height),
                 Int32(window.imageWidth), Int32(window.imageHeight), m.baseAddress!,
                 Int32(size.width), Int32(size.height), lut.baseAddress!, out + planes.0, out + planes.1, out + planes.2)
        }
    }
}

/// Calls `body(x, y, pixel)` for every output pixel, row by row, with its interpolated 8-bit values (C <= 4).
@inline(__always)
private func warpRows(_ window: ImageWindow, _ matrix: AffineMatrix, _ size: GridSize, _ arithmetic: WarpArithmetic,
                      _ body: (Int, Int, UnsafeMutablePointer<UInt8>) -> Void) {
    let inv = matrix.inverted().values
    let image = window.pixels, c = image.channels
    precondition(c >= 1 && c <= 4, "warpAffine: \(c) channels, expected 1...4")
    let values = UnsafeMutablePointer<UInt8>.allocate(capacity: 4)
    defer { values.deallocate() }
    image.pixels.withUnsafeBufferPointer { buffer in
        let src = Source(pixels: buffer.baseAddress, window: window, channels: c)
        switch arithmetic {
        case .float32:
            let m = inv.map { Float($0) }
            for y in 0..<size.height {
                // M_x = float(y * M[1] + M[2]) without contraction, as OpenCV's vector path.
                let mx = Float(y) * m[1] + m[2]
                let my = Float(y) * m[4] + m[5]
                for x in 0..<size.width {
                    let fx = Float(x)
                    src.sampleFloat32(sx: fusedMultiplyAdd(m[0], fx, mx), sy: fusedMultiplyAdd(m[3], fx, my), into: values)
                    body(x, y, values)
                }
            }
        case .fixedPoint:
            let abScale = Double(1 << 10)
            func cvRound(_ v: Double) -> Int { Int(v.rounded(.toNearestOrEven)) }
            let adelta = (0..<size.width).map { cvRound(inv[0] * Double($0) * abScale) }
            let bdelta = (0..<size.width).map { cvRound(inv[3] * Double($0) * abScale) }
            for y in 0..<size.height {
                let x0 = cvRound((inv[1] * Double(y) + inv[2]) * abScale) + 16  // round_delta = AB_SCALE / 32 / 2
                let y0 = cvRound((inv[4] * Double(y) + inv[5]) * abScale) + 16
                for x in 0..<size.width {
                    // 1/32-pixel coordinates: AB_BITS (10) - INTER_BITS (5)
                    src.sampleFixedPoint(x: (x0 + adelta[x]) >> 5, y: (y0 + bdelta[x]) >> 5, into: values)
                    body(x, y, values)
                }
            }
        }
    }
}

/// The source image of a warp, with OpenCV's two bilinear kernels and a zero (BORDER_CONSTANT) border.
/// Only a window of it is in memory: taps take image coordinates and read `pixels` at window coordinates.
private struct Source {
    let pixels: UnsafePointer<UInt8>?
    /// The window's origin and size in the image.
    let originX: Int, originY: Int, windowWidth: Int, windowHeight: Int
    /// The whole image's size.
    let width: Int
    let height: Int
    let channels: Int

    init(pixels: UnsafePointer<UInt8>?, window: ImageWindow, channels: Int) {
        self.pixels = pixels
        (originX, originY) = (window.x, window.y)
        (windowWidth, windowHeight) = (window.pixels.width, window.pixels.height)
        (width, height) = (window.imageWidth, window.imageHeight)
        self.channels = channels
    }

    /// A pixel's channel `k` at image coordinates, 0 outside the image (and so outside the window).
    @inline(__always)
    func tap(_ ix: Int, _ iy: Int, _ k: Int) -> Int32 {
        let wx = ix - originX, wy = iy - originY
        return (wx >= 0 && wx < windowWidth && wy >= 0 && wy < windowHeight)
            ? Int32(pixels![(wy * windowWidth + wx) * channels + k]) : 0
    }

    /// OpenCV >= 4.11: float32 weights `sx - floor(sx)`, `v0 = fma(a, p01 - p00, p00)`, …, round half to even.
    @inline(__always)
    func sampleFloat32(sx: Float, sy: Float, into out: UnsafeMutablePointer<UInt8>) {
        // Entirely outside (all four taps in the border), or NaN: the border value.
        guard sx >= -1, sy >= -1, sx < Float(width), sy < Float(height) else {
            for k in 0..<channels { out[k] = 0 }
            return
        }
        let fsx = floorSmall(sx), fsy = floorSmall(sy)
        let ix = Int(fsx), iy = Int(fsy)
        let ax = sx - fsx, ay = sy - fsy
        let wx = ix - originX, wy = iy - originY
        if wx >= 0 && wy >= 0 && wx < windowWidth - 1 && wy < windowHeight - 1 {
            let row0 = pixels! + (wy * windowWidth + wx) * channels
            let row1 = row0 + windowWidth * channels
            for k in 0..<channels {
                out[k] = interpolate(Float(row0[k]), Float(row0[channels + k]), Float(row1[k]), Float(row1[channels + k]), ax, ay)
            }
        } else {
            for k in 0..<channels {
                out[k] = interpolate(Float(tap(ix, iy, k)), Float(tap(ix + 1, iy, k)),
                                     Float(tap(ix, iy + 1, k)), Float(tap(ix + 1, iy + 1, k)), ax, ay)
            }
        }
    }

    @inline(__always)
    func interpolate(_ p00: Float, _ p01: Float, _ p10: Float, _ p11: Float, _ ax: Float, _ ay: Float) -> UInt8 {
        let v0 = fusedMultiplyAdd(ax, p01 - p00, p00)
        let v1 = fusedMultiplyAdd(ax, p11 - p10, p10)
        let r = roundHalfEvenSmall(fusedMultiplyAdd(ay, v1 - v0, v0))
        return r <= 0 ? 0 : (r >= 255 ? 255 : UInt8(r))
    }

    /// OpenCV <= 4.10 `remapBilinear` on 8-bit data: 5-bit fractions, 15-bit integer weights summing to 32768.
    @inline(__always)
    func sampleFixedPoint(x: Int, y: Int, into out: UnsafeMutablePointer<UInt8>) {
        let ix = x >> 5, iy = y >> 5
        if ix >= width || ix + 1 < 0 || iy >= height || iy + 1 < 0 {
            for k in 0..<channels { out[k] = 0 }
            return
        }
        let ax = Int32(x & 31), ay = Int32(y & 31)
        let w00 = (32 - ay) * (32 - ax) * 32, w01 = (32 - ay) * ax * 32
        let w10 = ay * (32 - ax) * 32, w11 = ay * ax * 32
        for k in 0..<channels {
            let v = tap(ix, iy, k) * w00 + tap(ix + 1, iy, k) * w01 + tap(ix, iy + 1, k) * w10 + tap(ix + 1, iy + 1, k) * w11
            out[k] = UInt8(clamping: (v + (1 << 14)) >> 15)
        }
    }
}

// Inline replacements for libm calls (the package is built for baseline x86-64, where `fmaf`, `floorf` and
// `rintf` are function calls that dominated the warp's cost).

/// `fmaf(a, b, c)`, correctly rounded: the product is exact in double (24 + 24 bits); the double sum is
/// rounded once more only when it lands exactly on a float tie, which the exact TwoSum error resolves.
@inline(__always)
func fusedMultiplyAdd(_ a: Float, _ b: Float, _ c: Float) -> Float {
    let p = Double(a) * Double(b)
    let cd = Double(c)
    let sum = p + cd
    let r = Float(sum)
    // A double exactly halfway between two normal floats has its low 29 mantissa bits = 1 << 28.
    if sum.bitPattern & 0x1FFF_FFFF == 0x1000_0000 || abs(sum) < 0x1p-125 {
        let bv = sum - p
        let err = (p - (sum - bv)) + (cd - bv)  // TwoSum: p + cd == sum + err exactly
        if err > 0 { return Double(r) > sum ? r : r.nextUp }
        if err < 0 { return Double(r) < sum ? r : r.nextDown }
    }
    return r
}

/// `floorf(x)` for |x| < 2^31.
@inline(__always)
func floorSmall(_ x: Float) -> Float {
    let t = Float(Int32(x))
    return t > x ? t - 1 : t
}

/// `rintf(x)` (round half to even) for |x| < 2^22.
@inline(__always)
func roundHalfEvenSmall(_ x: Float) -> Float {
    let magic: Float = 0x1.8p23
    return (x + magic) - magic
}
