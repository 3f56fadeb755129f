// y[N,C,H·f,W·f] = resize(x[N,C,H,W]) by f = 2^k   — torch.nn.functional.interpolate(scale_factor=f)
// bilinear with align_corners=False: src = max((dst + 0.5)/f − 0.5, 0), taps floor(src) and the next
// (clamped), weights from the fraction; nearest: src = floor(dst / f). Parameter-free.
// Backward scatters dy with the same taps and weights. Computed in NHWC (a tap moves a pixel's channel
// vector at once); the result is channelsLast.

/// The interpolation of `upsample`.
public enum UpsampleMode: String, Sendable, CaseIterable {
    case bilinear, nearest
}

/// One output coordinate's two source taps and their weights along an axis.
private struct Taps {
    var index0: [Int] = [], index1: [Int] = []
    var weight0: [Float] = [], weight1: [Float] = []

    init(inputSize: Int, factor: Int, mode: UpsampleMode) {
        let scale = 1 / Float(factor)
        for dst in 0..<(inputSize * factor) {
            switch mode {
            case .nearest:
                let i = min(Int((Float(dst) * scale).rounded(.down)), inputSize - 1)
                index0.append(i); index1.append(i); weight0.append(1); weight1.append(0)
            case .bilinear:
                let src = max(scale * (Float(dst) + 0.5) - 0.5, 0)
                let i0 = Int(src)
                let i1 = i0 + (i0 < inputSize - 1 ? 1 : 0)
                let lambda1 = src - Float(i0)
                index0.append(i0); index1.append(i1); weight0.append(1 - lambda1); weight1.append(lambda1)
            }
        }
    }
}

/// Calls `body(output, input, weight)` for the four (row, column) taps of every output pixel of one
/// image: `output` and `input` are pixel indices within the output and input images. Forward gathers
/// along these taps, backward scatters along the same ones.
private func forEachTap(rows: Taps, cols: Taps, inputWidth w: Int, _ body: (Int, Int, Float) -> Void) {
    let ow = cols.index0.count
    for oy in 0..<rows.index0.count {
        let r0 = rows.index0[oy] * w, r1 = rows.index1[oy] * w
        let a0 = rows.weight0[oy], a1 = rows.weight1[oy]
        for ox in 0..<ow {
            let o = oy * ow + ox
            let c0 = cols.index0[ox], c1 = cols.index1[ox]
            let b0 = cols.weight0[ox], b1 = cols.weight1[ox]
            body(o, r0 + c0, a0 * b0); body(o, r0 + c1, a0 * b1)
            body(o, r1 + c0, a1 * b0); body(o, r1 + c1, a1 * b1)
        }
    }
}

/// Resizes a 4-D tensor by an integer factor (a power of 2 in the heads); one tape entry. The result is
/// channelsLast.
public func upsample(_ x: Tensor, factor: Int, mode: UpsampleMode) -> Tensor {
    precondition(x.shape.count == 4 && factor >= 1, "upsample: input \(x.shape) by \(factor)")
    if factor == 1 { return x }
    let source = x.withLayout(.channelsLast)
    defer { withExtendedLifetime(source) {} }  // raw pointers below outlive the last use of the tensor
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (oh, ow) = (h * factor, w * factor)
    let rows = Taps(inputSize: h, factor: factor, mode: mode), cols = Taps(inputSize: w, factor: factor, mode: mode)
    let y = Tensor(zeros: [n, c, oh, ow], layout: .channelsLast)
    for image in 0..<n {
        let src = source.pointer + image * h * w * c, dst = y.pointer + image * oh * ow * c
        forEachTap(rows: rows, cols: cols, inputWidth: w) { o, i, weight in
            let to = dst + o * c, from = src + i * c
            for k in 0..<c { to[k] += weight * from[k] }
        }
    }
    Tape.record(y, inputs: [x]) { dy in
        let dy = dy.withLayout(.channelsLast)
        defer { withExtendedLifetime(dy) {} }  // raw pointers below outlive the last use of the tensor
        let dx = Tensor(zeros: [n, c, h, w], layout: .channelsLast)  // not x.shape: the closure would keep x
        for image in 0..<n {
            let g = dy.pointer + image * oh * ow * c, d = dx.pointer + image * h * w * c
            forEachTap(rows: rows, cols: cols, inputWidth: w) { o, i, weight in
                let to = d + i * c, from = g + o * c
                for k in 0..<c { to[k] += weight * from[k] }
            }
        }
        return [dx]
    }
    return y
}
