// y = max(x, 0)   — torch.nn.functional.relu
// Backward: dx = dy where y > 0 else 0 (oneDNN eltwise relu, computed from y). Under bf16 autocast the
// backward keeps only the bf16 copy of y that the next convolution reads anyway (`Tensor.operand`): bf16
// keeps the sign, and rounds to zero only positives below 2^-133, which activations never are. When y has
// several uses (a residual block's output feeds the next block's convolution and its skip connection), the
// sum of their gradients and the mask are one pass: dx = (dy₁ + dy₂) where y > 0 (`Tape.record(backwardOfParts:)`).
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
        Tape.record(y, inputs: inputs, backwardOfParts: { parts in Array(repeating: reluBackward(parts, y), count: count) })
    }
}

/// The gradient parts in `layout`, all but the last two summed in order (then at most two remain).
private func pairOfParts(_ parts: [Tensor], _ layout: Layout) -> [Tensor] {
    var parts = parts.map { $0.withLayout(layout) }
    while parts.count > 2 { parts.replaceSubrange(0..<2, with: [addNoGrad(parts[0], parts[1])]) }
    return parts
}

/// dx = Σ dy where the bf16 activation `y` is positive (as an Int16: sign bit clear and not +0), NHWC.
func reluBackward(_ parts: [Tensor], positive y: Activation) -> Tensor {
    precondition(y.precision == .bf16 && parts.allSatisfy { $0.shape == y.shape },
                 "reluBackward: dy \(parts.map(\.shape)) for \(y.shape) \(y.precision)")
    let parts = pairOfParts(parts, .channelsLast)
    let dx = Tensor(uninitialized: y.shape, layout: .channelsLast)
    withExtendedLifetime((parts, y)) {
        let bits = UnsafePointer(y.raw.assumingMemoryBound(to: Int16.self)), out = dx.pointer
        let a = parts[0].pointer, b = parts.count == 2 ? parts[1].pointer : nil
        forEachChunk(dx.count) { start, end in
            if let b {
                for i in start..<end { out[i] = bits[i] > 0 ? a[i] + b[i] : 0 }
            } else {
                for i in start..<end { out[i] = bits[i] > 0 ? a[i] : 0 }
            }
        }
    }
    return dx
}

/// dx = Σ dy where `y` > 0: one part through oneDNN's eltwise backward, two in one pass.
func reluBackward(_ parts: [Tensor], _ y: Tensor) -> Tensor {
    let parts = pairOfParts(parts, y.layout)
    guard parts.count == 2 else { return reluBackward(parts[0], y) }
    let dx = Tensor(uninitialized: y.shape, layout: y.layout)
    withExtendedLifetime((parts, y)) {
        let a = parts[0].pointer, b = parts[1].pointer, positive = y.pointer, out = dx.pointer
        forEachChunk(dx.count) { start, end in maskedSum(a, b, positive, out, start, end) }
    }
    return dx
}

/// out[i] = a[i] + b[i] where positive[i] > 0, else 0, for i in start..<end; sixteen floats at a time.
private func maskedSum(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ positive: UnsafePointer<Float>,
                       _ out: UnsafeMutablePointer<Float>, _ start: Int, _ end: Int) {
    typealias Vector = SIMD16<Float>
    func load(_ p: UnsafePointer<Float>, _ i: Int) -> Vector { UnsafeRawPointer(p + i).loadUnaligned(as: Vector.self) }
    var i = start
    while i + 16 <= end {
        let sum = load(a, i) + load(b, i)
        let kept = Vector(repeating: 0).replacing(with: sum, where: load(positive, i) .> 0)
        UnsafeMutableRawPointer(out + i).storeBytes(of: kept, as: Vector.self)
        i += 16
    }
    while i < end {
        out[i] = positive[i] > 0 ? a[i] + b[i] : 0
        i += 1
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
