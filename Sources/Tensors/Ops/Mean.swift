// y = (x1 + … + xk) / k   — torch.stack(xs).mean(0)
// Backward: each input gets dy / k.

/// Elementwise mean of tensors of one shape; the result has the first input's layout.
public func mean(_ inputs: [Tensor]) -> Tensor {
    precondition(!inputs.isEmpty && inputs.allSatisfy { $0.shape == inputs[0].shape },
                 "mean: shapes \(inputs.map(\.shape)) differ")
    if inputs.count == 1 { return inputs[0] }
    let layout = inputs[0].layout
    let parts = inputs.map { $0.withLayout(layout) }
    defer { withExtendedLifetime(parts) {} }  // raw pointers below outlive the last use of the tensors
    let y = Tensor(uninitialized: inputs[0].shape, layout: layout)
    let k = Float(inputs.count)
    // ((x1 + x2) + …) / k in k − 1 passes, the division fused into the last one.
    let py = y.pointer, count = y.count
    for (j, part) in parts.enumerated().dropFirst() {
        let previous = j == 1 ? parts[0].pointer : py, p = part.pointer
        if j == parts.count - 1 {
            for i in 0..<count { py[i] = (previous[i] + p[i]) / k }
        } else {
            for i in 0..<count { py[i] = previous[i] + p[i] }
        }
    }
    let inputCount = inputs.count  // not the inputs: the closure must not keep them alive
    Tape.record(y, inputs: inputs) { dy in
        let share = scaleNoGrad(dy, by: 1 / k)
        return Array(repeating: share, count: inputCount)
    }
    return y
}
