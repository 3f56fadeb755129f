// y = max(x, 0)   — torch.nn.functional.relu
// Backward: dx = dy where y > 0 else 0 (oneDNN eltwise relu, computed from y). Under bf16 autocast the
// backward keeps only the bf16 copy of y that the next convolution reads anyway (`Tensor.operand`): bf16
// keeps the sign, and rounds to zero only positives below 2^-133, which activations never are. When y has
// several uses (a residual block's output feeds the next block's convolution and its skip connection), the
// sum of their gradients and the mask are one pass: dx = (dy₁ + dy₂) where y > 0 (`Tape.record(backwardOfParts:)`).
// Masked elements are 0 there (as PyTorch's threshold_backward); a NaN or infinite gradient may reach them through
// the single-part oneDNN path, which is not specified for non-finite inputs.
import CDNNL

/// Rectified linear unit; the result has `x`'s layout.
public func relu(_ x: Tensor) -> Tensor {
    let y = reluForward(x)
    recordReLU(y, inputs: [x])
    return y
}

/// Records the backward of `y = relu(f(inputs))` for an f whose gradient passes unchanged to every input
/// (identity, sum): each input receives dy masked by y > 0, read from y or, under bf16 autocast, from its bf16 copy.
func recordReLU(_ y: Tensor, inputs: [Tensor]) {
    let count = inputs.count  // not the inputs: the closure must not keep them alive
    if Tape.autocast == .bf16 && Tape.needsRecord(inputs) && y.shape.count == 4 {
        let saved = y.operand(.bf16)
        Tape.record(y, inputs: inputs, backwardOfParts: { parts in
            Array(repeating: reluBackward(parts, positive: saved), count: count)
        })
    } else {
        let saved = Saved(output: y, recordedWith: inputs)
        Tape.record(y, inputs: inputs, backwardOfParts: { parts in
            Array(repeating: reluBackward(parts, saved.take()), count: count)
        })
    }
}

/// The one or two gradient parts the tape hands a fused sum (`Tape.Entry.fusesSum`), in `layout`.
private func pairOfParts(_ parts: [Tensor], _ layout: Layout) -> [Tensor] {
    precondition((1...2).contains(parts.count), "reluBackward: \(parts.count) gradient parts")
    return parts.map { $0.withLayout(layout) }
}

/// dx = Σ dy where the bf16 activation `y` is positive, NHWC.
func reluBackward(_ parts: [Tensor], positive y: Activation) -> Tensor {
    precondition(y.precision == .bf16 && parts.allSatisfy { $0.shape == y.shape },
                 "reluBackward: dy \(parts.map(\.shape)) for \(y.shape) \(y.precision)")
    let parts = pairOfParts(parts, .channelsLast)
    let dx = Tensor(uninitialized: y.shape, layout: .channelsLast)
    withExtendedLifetime((parts, y)) {
        let mask = BF16Positive(bits: UnsafePointer(y.raw.assumingMemoryBound(to: UInt16.self)))
        maskedSum(parts, mask, into: dx)
    }
    return dx
}

/// dx = Σ dy where `y` > 0: one part through oneDNN's eltwise backward, two in one pass.
func reluBackward(_ parts: [Tensor], _ y: Tensor) -> Tensor {
    let parts = pairOfParts(parts, y.layout)
    guard parts.count == 2 else { return reluBackward(parts[0], y) }
    let dx = Tensor(uninitialized: y.shape, layout: y.layout)
    withExtendedLifetime((parts, y)) { maskedSum(parts, FloatPositive(values: y.pointer), into: dx) }
    return dx
}

/// Where an activation is positive, sixteen elements at a time or one.
private protocol PositiveMask {
    func lanes(_ i: Int) -> SIMDMask<SIMD16<Int32>>
    subscript(_ i: Int) -> Bool { get }
}

private struct FloatPositive: PositiveMask {
    let values: UnsafePointer<Float>
    func lanes(_ i: Int) -> SIMDMask<SIMD16<Int32>> {
        UnsafeRawPointer(values + i).loadUnaligned(as: SIMD16<Float>.self) .> 0
    }
    subscript(_ i: Int) -> Bool { values[i] > 0 }
}

/// bf16 values: positive exactly when their float (the bits shifted up by 16) is.
private struct BF16Positive: PositiveMask {
    let bits: UnsafePointer<UInt16>
    func lanes(_ i: Int) -> SIMDMask<SIMD16<Int32>> {
        var floats = SIMD16<Float>()
        for k in 0..<16 { floats[k] = self.float(i + k) }
        return floats .> 0
    }
    subscript(_ i: Int) -> Bool { float(i) > 0 }
    @inline(__always) private func float(_ i: Int) -> Float { Float(bitPattern: UInt32(bits[i]) << 16) }
}

/// out = (parts[0] + parts[1]) (or parts[0] alone) where `mask`, else 0; elementwise on both cores.
private func maskedSum<Mask: PositiveMask>(_ parts: [Tensor], _ mask: Mask, into out: Tensor) {
    typealias Vector = SIMD16<Float>
    let a = UnsafePointer(parts[0].pointer), b = parts.count == 2 ? UnsafePointer(parts[1].pointer) : nil
    let o = out.pointer
    func load(_ p: UnsafePointer<Float>, _ i: Int) -> Vector { UnsafeRawPointer(p + i).loadUnaligned(as: Vector.self) }
    forEachChunk(out.count) { start, end in
        var i = start
        while i + 16 <= end {
            let sum = b.map { load(a, i) + load($0, i) } ?? load(a, i)
            let kept = Vector(repeating: 0).replacing(with: sum, where: mask.lanes(i))
            UnsafeMutableRawPointer(o + i).storeBytes(of: kept, as: Vector.self)
            i += 16
        }
        while i < end {
            o[i] = mask[i] ? (b.map { a[i] + $0[i] } ?? a[i]) : 0
            i += 1
        }
    }
}

func reluForward(_ x: Tensor) -> Tensor {
    let y = Tensor(uninitialized: x.shape, layout: x.layout)
    let md = memoryDesc(of: x)
    let primitive = PrimitiveCache.shared.primitive("relu fwd \(layoutKey(x))") {
        var desc = dnnl_eltwise_desc_t()
        var md = md
        dnnlCheck(dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd,
                                                 &md, 0, 0), "relu desc")
        return Primitive(opDesc: &desc, what: "relu fwd \(x.shape) \(x.layout)")
    }
    primitive.execute([(DNNL_ARG_SRC, md, x.raw), (DNNL_ARG_DST, md, y.raw)])
    return y
}

func reluBackward(_ dy: Tensor, _ y: Tensor) -> Tensor {
    let dy = dy.withLayout(y.layout)
    defer { withExtendedLifetime(dy) {} }  // raw pointers below outlive the last use of the tensor
    let dx = Tensor(uninitialized: y.shape, layout: y.layout)
    let md = memoryDesc(of: y)
    let primitive = PrimitiveCache.shared.primitive("relu bwd \(layoutKey(y))") {
        var forward = dnnl_eltwise_desc_t()
        var backward = dnnl_eltwise_desc_t()
        var md = md
        dnnlCheck(dnnl_eltwise_forward_desc_init(&forward, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd,
                                                 &md, 0, 0), "relu desc")
        let hint = Primitive(opDesc: &forward, what: "relu fwd hint")
        dnnlCheck(dnnl_eltwise_backward_desc_init(&backward, dnnl_eltwise_relu_use_dst_for_bwd, &md, &md, 0, 0),
                  "relu bwd desc")
        return Primitive(opDesc: &backward, hint: hint, what: "relu bwd \(y.shape) \(y.layout)")
    }
    primitive.execute([(DNNL_ARG_DST, md, y.raw), (DNNL_ARG_DIFF_DST, md, dy.raw),
                       (DNNL_ARG_DIFF_SRC, md, dx.raw)])
    return dx
}
