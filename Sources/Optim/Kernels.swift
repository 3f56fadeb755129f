// The element loops of SGD and Adam, eight floats at a time, with every helper in this one file so
// that they inline even in debug builds (which compile file by file): the update runs over every
// parameter each step (34M floats for res50) and is memory-bound when it vectorises.
#if arch(x86_64) && canImport(_Builtin_intrinsics.intel)
import _Builtin_intrinsics.intel
#endif

/// Eight floats: the kernels' unit of work (SSE2 on the generic x86-64 target runs it as two halves).
typealias FloatVector = SIMD8<Float>

/// a · b + c rounded once, as the fused multiply-add PyTorch's vectorised CPU kernels use for
/// `add(other, alpha=)` and `lerp` (`vec::fmadd`). The product of two floats is exact in Double, so only
/// the sum is rounded twice (Double, then Float): it differs from a true FMA only when the Double sum
/// lands exactly on a Float rounding tie (about 2⁻²⁹ of cases). Unlike `addingProduct` this
/// vectorises without an FMA target feature (the generic x86-64 target calls `fmaf` per element).
@inline(__always)
func fusedMultiplyAdd(_ a: FloatVector, _ b: FloatVector, _ c: FloatVector) -> FloatVector {
    let low = SIMD4<Double>(a.lowHalf) * SIMD4<Double>(b.lowHalf) + SIMD4<Double>(c.lowHalf)
    let high = SIMD4<Double>(a.highHalf) * SIMD4<Double>(b.highHalf) + SIMD4<Double>(c.highHalf)
    return FloatVector(lowHalf: SIMD4<Float>(low), highHalf: SIMD4<Float>(high))
}

/// Lane-wise square root, correctly rounded. Swift's `SIMD8.squareRoot()` compiles to eight scalar
/// `sqrtss` on x86-64; `sqrtps` on each half makes Adam's update ~30% faster.
@inline(__always)
func squareRoot(_ x: FloatVector) -> FloatVector {
    #if arch(x86_64) && canImport(_Builtin_intrinsics.intel)
    return FloatVector(lowHalf: _mm_sqrt_ps(x.lowHalf), highHalf: _mm_sqrt_ps(x.highHalf))
    #else
    return x.squareRoot()
    #endif
}

/// Loads `lanes` (≤ 8) floats from `base + i`, zeros in the other lanes.
@inline(__always)
func loadVector(_ base: UnsafePointer<Float>, _ i: Int, _ lanes: Int) -> FloatVector {
    if lanes == 8 { return UnsafeRawPointer(base + i).loadUnaligned(as: FloatVector.self) }
    var v = FloatVector()
    for k in 0..<lanes { v[k] = base[i + k] }
    return v
}

/// Stores the first `lanes` (≤ 8) lanes of `v` at `base + i`.
@inline(__always)
func storeVector(_ v: FloatVector, _ base: UnsafeMutablePointer<Float>, _ i: Int, _ lanes: Int) {
    if lanes == 8 {
        UnsafeMutableRawPointer(base + i).storeBytes(of: v, as: FloatVector.self)
        return
    }
    for k in 0..<lanes { base[i + k] = v[k] }
}

/// The per-step scalars of SGD's update, rounded to float32 as torch's kernels round them.
struct SGDConstants {
    var weightDecay, momentum, keep, negLR: Float
    var nesterov, firstStep: Bool
}

/// SGD's update of elements `start..<end`, eight at a time (`buf` nil: no momentum). A plain function
/// (not a closure) so that pointers and constants stay in registers across the stores.
@inline(never)
func sgdKernel(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ buf: UnsafeMutablePointer<Float>?,
               _ start: Int, _ end: Int, _ c: SGDConstants) {
    typealias V = FloatVector
    let wd = V(repeating: c.weightDecay), hasDecay = c.weightDecay != 0
    let m = V(repeating: c.momentum), keep = V(repeating: c.keep), alpha = V(repeating: c.negLR)
    var i = start
    while i < end {
        let lanes = min(8, end - i)
        let pi = loadVector(p, i, lanes), gi = loadVector(g, i, lanes)
        let d = hasDecay ? fusedMultiplyAdd(wd, pi, gi) : gi
        if let buf {
            let b = c.firstStep ? d : fusedMultiplyAdd(keep, d, loadVector(buf, i, lanes) * m)
            storeVector(b, buf, i, lanes)
            let update = c.nesterov ? fusedMultiplyAdd(m, b, d) : b
            storeVector(fusedMultiplyAdd(alpha, update, pi), p, i, lanes)
        } else {
            storeVector(fusedMultiplyAdd(alpha, d, pi), p, i, lanes)
        }
        i += 8
    }
}

/// The per-step scalars of Adam's update, rounded to float32 as torch's kernels round them.
struct AdamConstants {
    var beta2, weight1, weight2, bc2Sqrt, negStepSize, eps, weightDecay: Float
}

/// Adam's update of elements `start..<end`, eight at a time. A plain function (not a closure) so that
/// pointers and constants stay in registers across the stores.
@inline(never)
func adamKernel(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                _ v: UnsafeMutablePointer<Float>, _ start: Int, _ end: Int, _ c: AdamConstants) {
    typealias V = FloatVector
    let beta2 = V(repeating: c.beta2), weight1 = V(repeating: c.weight1), weight2 = V(repeating: c.weight2)
    let bc2 = V(repeating: c.bc2Sqrt), negStep = V(repeating: c.negStepSize), eps = V(repeating: c.eps)
    let wd = V(repeating: c.weightDecay), hasDecay = c.weightDecay != 0
    var i = start
    while i < end {
        let lanes = min(8, end - i)
        let pi = loadVector(p, i, lanes), gi = loadVector(g, i, lanes)
        let mo = loadVector(m, i, lanes), vo = loadVector(v, i, lanes)
        let d = hasDecay ? fusedMultiplyAdd(wd, pi, gi) : gi
        let mi = fusedMultiplyAdd(weight1, d - mo, mo)  // torch's vectorised lerp, weight < 0.5
        let vi = vo * beta2 + weight2 * d * d
        let denom = squareRoot(vi) / bc2 + eps
        storeVector(mi, m, i, lanes)
        storeVector(vi, v, i, lanes)
        storeVector(pi + negStep * (mi / denom), p, i, lanes)
        i += 8
    }
}
