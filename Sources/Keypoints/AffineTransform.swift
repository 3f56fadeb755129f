// The crop transform of top-down pose estimation: SimpleBaseline/HRNet `lib/utils/transforms.py`
// (`get_affine_transform`, `affine_transform`) and mmpose `get_udp_warp_matrix`, with the three-point solve
// done as OpenCV `cv::getAffineTransform` (a 6x6 system solved by Gaussian elimination with partial pivoting).
import Foundation

/// A 2x3 affine matrix `[a b c; d e f]` mapping `(x, y)` to `(a x + b y + c, d x + e y + f)`, stored row-major in double.
public struct AffineMatrix: Sendable, Equatable, CustomStringConvertible {
    /// `[a, b, c, d, e, f]`.
    public var values: [Double]

    public init(_ values: [Double]) {
        precondition(values.count == 6, "AffineMatrix: \(values.count) values, expected 6")
        self.values = values
    }

    public static let identity = AffineMatrix([1, 0, 0, 0, 1, 0])

    /// Applies the matrix to a point, as SimpleBaseline `affine_transform(pt, t)` (`t @ [x, y, 1]`).
    public func apply(_ p: SIMD2<Double>) -> SIMD2<Double> {
        let m = values
        return SIMD2(m[0] * p.x + m[1] * p.y + m[2], m[3] * p.x + m[4] * p.y + m[5])
    }

    /// The inverse transform, computed as OpenCV `warpAffine` does before sampling (`cv::invertAffineTransform`).
    public func inverted() -> AffineMatrix {
        var m = values
        var d = m[0] * m[4] - m[1] * m[3]
        d = d != 0 ? 1.0 / d : 0
        let a11 = m[4] * d, a22 = m[0] * d
        m[0] = a11; m[1] *= -d
        m[3] *= -d; m[4] = a22
        let b1 = -m[0] * m[2] - m[1] * m[5]
        let b2 = -m[3] * m[2] - m[4] * m[5]
        m[2] = b1; m[5] = b2
        return AffineMatrix(m)
    }

    public var description: String {
        "[[\(values[0]), \(values[1]), \(values[2])], [\(values[3]), \(values[4]), \(values[5])]]"
    }
}

/// SimpleBaseline `affine_transform`: `t @ [x, y, 1]`.
public func affineTransformPoint(_ point: SIMD2<Double>, _ matrix: AffineMatrix) -> SIMD2<Double> {
    matrix.apply(point)
}

/// The matrix that maps the box `(center, scale·200)` rotated by `rotation` degrees onto an `outputSize` crop,
/// exactly as SimpleBaseline/HRNet `get_affine_transform(center, scale, rot, output_size, shift, inv)`.
///
/// The box width is `scale.x * pixelStd` (the height follows from the output aspect ratio, as the reference).
/// Points are rounded to float32 where the reference stores them in float32 arrays, then the 3-point system
/// is solved in double as `cv2.getAffineTransform`. With `inverse: true` the matrix maps crop → image.
/// mmpose `get_warp_matrix(center, scale_px, rot, output_size)` is the same with `scale = scale_px / 200`.
public func getAffineTransform(center: SIMD2<Double>, scale: SIMD2<Double>, rotation: Double, outputSize: GridSize,
                               shift: SIMD2<Double> = .zero, inverse: Bool = false,
                               pixelStd: Double = 200) -> AffineMatrix {
    // scale_tmp = scale * 200.0 (float32 array in the reference)
    let scaleTmp = SIMD2<Float>(Float(scale.x) * Float(pixelStd), Float(scale.y) * Float(pixelStd))
    let c = SIMD2<Float>(Float(center.x), Float(center.y))
    let sh = SIMD2<Float>(Float(shift.x), Float(shift.y))
    let srcW = scaleTmp.x
    let dstW = Double(outputSize.width), dstH = Double(outputSize.height)

    let rotRad = Double.pi * rotation / 180
    // get_dir([0, src_w * -0.5], rot_rad) in double
    let sn = sin(rotRad), cs = cos(rotRad)
    let p1 = Double(srcW * -0.5)
    let srcDir = SIMD2<Double>(0 * cs - p1 * sn, 0 * sn + p1 * cs)

    var src = [SIMD2<Float>](repeating: .zero, count: 3)
    var dst = [SIMD2<Float>](repeating: .zero, count: 3)
    let shifted = scaleTmp * sh
    src[0] = c + shifted
    src[1] = SIMD2<Float>(Float(Double(c.x) + srcDir.x + Double(shifted.x)),
                          Float(Double(c.y) + srcDir.y + Double(shifted.y)))
    dst[0] = SIMD2<Float>(Float(dstW * 0.5), Float(dstH * 0.5))
    dst[1] = SIMD2<Float>(Float(dstW * 0.5 + 0), Float(dstH * 0.5 + Double(Float(dstW * -0.5))))
    src[2] = thirdPoint(src[0], src[1])
    dst[2] = thirdPoint(dst[0], dst[1])
    return inverse ? solveAffine(from: dst, to: src) : solveAffine(from: src, to: dst)
}

/// SimpleBaseline `get_3rd_point`: `b + rot90(a - b)`, in float32.
func thirdPoint(_ a: SIMD2<Float>, _ b: SIMD2<Float>) -> SIMD2<Float> {
    let direct = a - b
    return b + SIMD2<Float>(-direct.y, direct.x)
}

/// `cv::getAffineTransform(src, dst)`: solves the 6x6 system `A x = b` by LU with partial pivoting (OpenCV `hal::LU64f`).
func solveAffine(from src: [SIMD2<Float>], to dst: [SIMD2<Float>]) -> AffineMatrix {
    var a = [Double](repeating: 0, count: 36)
    var b = [Double](repeating: 0, count: 6)
    for i in 0..<3 {
        let j = i * 12, k = i * 12 + 6
        a[j] = Double(src[i].x); a[k + 3] = Double(src[i].x)
        a[j + 1] = Double(src[i].y); a[k + 4] = Double(src[i].y)
        a[j + 2] = 1; a[k + 5] = 1
        b[i * 2] = Double(dst[i].x)
        b[i * 2 + 1] = Double(dst[i].y)
    }
    let m = 6
    for i in 0..<m {
        var k = i
        for j in (i + 1)..<m where abs(a[j * m + i]) > abs(a[k * m + i]) { k = j }
        if abs(a[k * m + i]) < Double.ulpOfOne * 100 { return AffineMatrix([0, 0, 0, 0, 0, 0]) }
        if k != i {
            for j in i..<m { a.swapAt(i * m + j, k * m + j) }
            b.swapAt(i, k)
        }
        let d = -1 / a[i * m + i]
        for j in (i + 1)..<m {
            let alpha = a[j * m + i] * d
            for k in (i + 1)..<m { a[j * m + k] += alpha * a[i * m + k] }
            b[j] += alpha * b[i]
        }
        a[i * m + i] = -d
    }
    for i in stride(from: m - 1, through: 0, by: -1) {
        var s = b[i]
        for k in (i + 1)..<m { s -= a[i * m + k] * b[k] }
        b[i] = s * a[i * m + i]
    }
    return AffineMatrix(b)
}

/// mmpose `get_udp_warp_matrix(center, scale, rot, output_size)` (UDP, CVPR 2020) with `scale` in pixels:
/// maps the box onto the crop so that the box corners land on pixel centers 0 and `size - 1`.
/// Returned in double after the reference's float32 storage.
public func getUDPWarpMatrix(center: SIMD2<Double>, scalePixels scale: SIMD2<Double>, rotation: Double,
                             outputSize: GridSize) -> AffineMatrix {
    let inputSize = center * 2
    let rotRad = rotation * Double.pi / 180
    let scaleX = Double(outputSize.width - 1) / scale.x
    let scaleY = Double(outputSize.height - 1) / scale.y
    let c = cos(rotRad), s = sin(rotRad)
    let m: [Double] = [
        c * scaleX, -s * scaleX,
        scaleX * (-0.5 * inputSize.x * c + 0.5 * inputSize.y * s + 0.5 * scale.x),
        s * scaleY, c * scaleY,
        scaleY * (-0.5 * inputSize.x * s - 0.5 * inputSize.y * c + 0.5 * scale.y),
    ]
    return AffineMatrix(m.map { Double(Float($0)) })
}
