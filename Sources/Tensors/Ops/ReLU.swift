// y = max(x, 0)   — torch.nn.functional.relu
// Backward: dx = dy where y > 0 else 0 (oneDNN eltwise relu, computed from y). Under bf16 autocast the
// backward keeps only the bf16 copy of y that the next convolution reads anyway (`Tensor.operand`): bf16
// keeps the sign, and rounds to zero only positives below 2^-133, which activations never are.
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
        Tape.record(y, inputs: inputs) { dy in Array(repeating: reluBackward(dy, positive: saved), count: count) }
    } else {
        Tape.record(y, inputs: inputs) { dy in Array(repeating: reluBackward(dy, y), count: count) }
    }
}

/// dx = dy where the bf16 activation `y` is positive (as an Int16: sign bit clear and not +0), NHWC.
func reluBackward(_ dy: Tensor, positive y: Activation) -> Tensor {
    precondition(y.precision == .bf16 && dy.shape == y.shape, "reluBackward: dy \(dy.shape) for \(y.shape) \(y.precision)")
    let dy = dy.withLayout(.channelsLast)
    let dx = Tensor(uninitialized: y.shape, layout: .channelsLast)
    withExtendedLifetime((dy, y)) {
        let bits = UnsafePointer(y.raw.assumingMemoryBound(to: Int16.self)), g = dy.pointer, out = dx.pointer
        forEachChunk(dx.count) { start, end in
            for i in start..<end { out[i] = bits[i] > 0 ? g[i] : 0 }
        }
    }
    return dx
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
