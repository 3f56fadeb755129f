// y[N,C,H·f,W·f] = resize(x[N,C,H,W]) by f = 2^k   — torch.nn.functional.interpolate(scale_factor=f)
// bilinear with align_corners=False: src = max((dst + 0.5)/f − 0.5, 0), taps floor(src) and the next
// (clamped), weights from the fraction; nearest: src = floor(dst / f). Parameter-free.
// Backward scatters dy with the same taps and weights.

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

/// Resizes a 4-D tensor by an integer factor (a power of 2 in the heads); one tape entry.
public func upsample(_ x: Tensor, factor: Int, mode: UpsampleMode) -> Tensor {
    precondition(x.shape.count == 4 && factor >= 1, "upsample: input \(x.shape) by \(factor)")
    if factor == 1 { return x }
    let source = x.withLayout(.contiguous)
    defer { withExtendedLifetime(source) {} }  // raw pointers below outlive the last use of the tensor
    let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
    let (oh, ow) = (h * factor, w * factor)
    let rows = Taps(inputSize: h, factor: factor, mode: mode), cols = Taps(inputSize: w, factor: factor, mode: mode)
    let y = Tensor(uninitialized: [x.shape[0], x.shape[1], oh, ow])
    let px = source.pointer, py = y.pointer
    for p in 0..<planes {
        let src = px + p * h * w, dst = py + p * oh * ow
        for oy in 0..<oh {
            let r0 = src + rows.index0[oy] * w, r1 = src + rows.index1[oy] * w
            let a0 = rows.weight0[oy], a1 = rows.weight1[oy]
            for ox in 0..<ow {
                let c0 = cols.index0[ox], c1 = cols.index1[ox]
                let b0 = cols.weight0[ox], b1 = cols.weight1[ox]
                dst[oy * ow + ox] = a0 * (b0 * r0[c0] + b1 * r0[c1]) + a1 * (b0 * r1[c0] + b1 * r1[c1])
            }
        }
    }
    Tape.record(y, inputs: [x]) { dy in
        let dy = dy.withLayout(.contiguous)
        defer { withExtendedLifetime(dy) {} }  // raw pointers below outlive the last use of the tensor
        let dx = Tensor(zeros: x.shape)
        let pdy = dy.pointer, pdx = dx.pointer
        for p in 0..<planes {
            let g = pdy + p * oh * ow, d = pdx + p * h * w
            for oy in 0..<oh {
                let r0 = d + rows.index0[oy] * w, r1 = d + rows.index1[oy] * w
                let a0 = rows.weight0[oy], a1 = rows.weight1[oy]
                for ox in 0..<ow {
                    let v = g[oy * ow + ox]
                    let c0 = cols.index0[ox], c1 = cols.index1[ox]
                    let b0 = cols.weight0[ox], b1 = cols.weight1[ox]
                    r0[c0] += a0 * b0 * v; r0[c1] += a0 * b1 * v
                    r1[c0] += a1 * b0 * v; r1[c1] += a1 * b1 * v
                }
            }
        }
        return [dx]
    }
    return y
}
