// numpy's float32 `exp` (the AVX2/AVX-512 kernel numpy uses on x86-64), so heatmap targets equal
// SimpleBaseline's `np.exp` on float32 arrays bit for bit. numpy's kernel is not correctly rounded (up to
// ~2.5 ulp); glibc's `expf` is, so the two differ in the last bits on about a third of the Gaussian cells.
// Algorithm: Cody-Waite range reduction with ln 2 split in two, a 5th/2nd-order rational minimax
// approximation evaluated with fused multiply-adds, scaled by 2^k (constants from numpy `npy_simd_data.h`).

private let codyWaiteHigh: Float = -6.93145752e-1
private let codyWaiteLow: Float = -1.42860677e-6
private let log2e: Float = 1.442695040888963407359924681001892137
private let p: [Float] = [9.999999999980870924916e-01, 7.257664613233124478488e-01, 2.473615434895520810817e-01,
                          5.114512081637298353406e-02, 6.757896990527504603057e-03, 5.082762527590693718096e-04]
private let q: [Float] = [1.0, -2.742335390411667452936e-01, 2.159509375685829852307e-02]

/// `np.exp(x)` for a float32 `x`, as numpy's SIMD kernel computes it.
func numpyExp(_ x: Float) -> Float {
    if x.isNaN { return x }
    if x >= 88.72283935546875 { return .infinity }
    if x <= -103.97208404541015625 { return 0 }
    let k = (x * log2e).rounded(.toNearestOrEven)
    var y = x.addingProduct(k, codyWaiteHigh)   // fma(k, c1, x)
    y = y.addingProduct(k, codyWaiteLow)
    var num = p[4].addingProduct(p[5], y)
    num = p[3].addingProduct(num, y)
    num = p[2].addingProduct(num, y)
    num = p[1].addingProduct(num, y)
    num = p[0].addingProduct(num, y)
    var den = q[1].addingProduct(q[2], y)
    den = q[0].addingProduct(den, y)
    let biased = Int32(k) + 127
    // 2^k built from its exponent bits, as numpy (k >= -126 here for every Gaussian cell we need;
    // below that numpy's bit trick underflows the same way this does).
    let twoPowK = biased > 0 ? Float(bitPattern: UInt32(biased) << 23) : 0
    return (num / den) * twoPowK
}
