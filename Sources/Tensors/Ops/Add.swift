// y = a + b (same shape)   — torch.add
// Backward: da = dy, db = dy.

/// Elementwise sum of two tensors of the same logical shape; the result has `a`'s layout.
public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
    let y = addNoGrad(a, b)
    Tape.record(y, inputs: [a, b]) { dy in [dy, dy] }
    return y
}

/// `a + b` without recording (used for gradient accumulation).
func addNoGrad(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
    let b = b.withLayout(a.layout)
    defer { withExtendedLifetime(b) {} }  // raw pointers below outlive the last use of the tensor
    let y = Tensor(uninitialized: a.shape, layout: a.layout)
    let pa = a.pointer, pb = b.pointer, py = y.pointer
    for i in 0..<a.count { py[i] = pa[i] + pb[i] }
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
