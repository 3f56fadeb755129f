// y = a + b (same shape)   — torch.add;   y = relu(a + b)   — a residual block's end
// Backward: da = db = dy (masked by y > 0 after the ReLU). Large tensors add with oneDNN's binary primitive
// (both cores, the ReLU as its post-op: one pass instead of an add and a ReLU); small ones in a Swift loop.
import CDNNL

/// Elementwise sum of two tensors of the same logical shape; the result has `a`'s layout.
public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
    let y = addNoGrad(a, b)
    Tape.record(y, inputs: [a, b]) { dy in [dy, dy] }
    return y
}

/// `relu(a + b)` in one pass (the residual block's sum and ReLU); the result has `a`'s layout.
public func addReLU(_ a: Tensor, _ b: Tensor) -> Tensor {
    let y = addNoGrad(a, b, relu: true)
    var recipe: Rebuild?
    if let first = a.rebuild, let second = b.rebuild, first.isAvailable, second.isAvailable, recomputes(inputs: [a, b]) {
        let first = first.reserve(), second = second.reserve()
        recipe = y.attachRebuild(inputs: [a, b]) { addNoGrad(first.take(), second.take(), relu: true) }
    }
    recordReLU(y, inputs: [a, b])
    withExtendedLifetime(recipe) {}  // until the ReLU's tape entry has reserved it for its mask, which keeps it
    return y
}

/// Tensors from this many elements on add with oneDNN (threaded); smaller ones in a loop.
private let binaryPrimitiveElements = 1 << 16

/// `a + b` (then ReLU with `relu`) without recording (also used for gradient accumulation).
func addNoGrad(_ a: Tensor, _ b: Tensor, relu: Bool = false) -> Tensor {
    precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
    let b = b.withLayout(a.layout)
    defer { withExtendedLifetime(b) {} }  // raw pointers below outlive the last use of the tensor
    let y = Tensor(uninitialized: a.shape, layout: a.layout)
    if a.count >= binaryPrimitiveElements && (1...4).contains(a.shape.count) {
        let md = memoryDesc(of: a)
        let key = "binary add \(layoutKey(a)) relu \(relu)"
        let primitive = PrimitiveCache.shared.primitive(key) {
            var desc = dnnl_binary_desc_t()
            var src0 = md, src1 = md, dst = md
            dnnlCheck(dnnl_binary_desc_init(&desc, dnnl_binary_add, &src0, &src1, &dst), "binary desc \(key)")
            let attr = postOpsAttribute(sum: false, relu: relu)
            defer { dnnl_primitive_attr_destroy(attr) }
            return Primitive(opDesc: &desc, attr: attr, what: key)
        }
        primitive.execute([(DNNL_ARG_SRC_0, md, a.raw), (DNNL_ARG_SRC_1, md, b.raw), (DNNL_ARG_DST, md, y.raw)])
        return y
    }
    let pa = a.pointer, pb = b.pointer, py = y.pointer
    if relu {
        for i in 0..<a.count { py[i] = max(pa[i] + pb[i], 0) }
    } else {
        for i in 0..<a.count { py[i] = pa[i] + pb[i] }
    }
    return y
}

/// `x * factor` elementwise, with its tape entry.
public func scale(_ x: Tensor, by factor: Float) -> Tensor {
    let y = scaleNoGrad(x, by: factor)
    Tape.record(y, inputs: [x]) { dy in [scaleNoGrad(dy, by: factor)] }
    return y
}

func scaleNoGrad(_ x: Tensor, by factor: Float) -> Tensor {
    let y = Tensor(uninitialized: x.shape, layout: x.layout)
    let px = x.pointer, py = y.pointer
    for i in 0..<x.count { py[i] = px[i] * factor }
    return y
}
