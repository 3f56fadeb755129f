// y = (x1 + … + xk) / k   — torch.stack(xs).mean(0)
// Backward: each input gets dy / k.

/// Elementwise mean of tensors of one shape; the result has the first input's layout.
public func mean(_ inputs: [Tensor]) -> Tensor {
    precondition(!inputs.isEmpty && inputs.allSatisfy { $0.shape == inputs[0].shape },
                 "mean: shapes \(inputs.map(\.shape)) differ")
    if inputs.count == 1 { return inputs[0] }
    let layout = inputs[0].layout
    let parts = inputs.map { $0.withLayout(layout) }
    let y = Tensor(zeros: inputs[0].shape, layout: layout)
    let k = Float(inputs.count)
    let py = y.pointer
    for part in parts {
        let p = part.pointer
        for i in 0..<y.count { py[i] += p[i] }
    }
    for i in 0..<y.count { py[i] /= k }
    Tape.record(y, inputs: inputs) { dy in
        let share = scaleNoGrad(dy, by: 1 / k)
        return Array(repeating: share, count: inputs.count)
    }
    return y
}
