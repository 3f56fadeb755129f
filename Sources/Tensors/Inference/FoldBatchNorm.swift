// BN(eval) ∘ conv as one convolution: with s[o] = γ[o] / √(σ²[o] + eps),
//   w'[…, o, …] = w[…, o, …] · s[o]   and   b'[o] = β[o] + (b[o] − μ[o]) · s[o]   (b = 0 without a bias),
// o being the output-channel axis: 0 for Conv2d `[O, C, kh, kw]`, 1 for ConvTranspose2d `[C, O, kh, kw]`.
// Computed in Double, rounded once to Float; the result is a new tensor (a snapshot of the parameters).

/// Folds eval-mode BatchNorm statistics and affine parameters into a convolution's weight and bias.
/// - Returns: contiguous `weight'` (same shape as `weight`) and `bias'` `[O]`.
public func foldBatchNorm(weight: Tensor, bias: Tensor?, outputAxis: Int, gamma: Tensor, beta: Tensor,
                          runningMean: Tensor, runningVar: Tensor, eps: Float) -> (weight: Tensor, bias: Tensor) {
    let shape = weight.shape
    let outputs = shape[outputAxis]
    precondition(shape.count == 4 && (0...1).contains(outputAxis)
                 && [gamma, beta, runningMean, runningVar].allSatisfy { $0.shape == [outputs] }
                 && (bias == nil || bias!.shape == [outputs]),
                 "foldBatchNorm: weight \(shape) (axis \(outputAxis)) with parameters of shape \(gamma.shape)")
    let (g, b, m, v) = (gamma.toArray(), beta.toArray(), runningMean.toArray(), runningVar.toArray())
    let convBias = bias?.toArray() ?? [Float](repeating: 0, count: outputs)
    let scale = (0..<outputs).map { Double(g[$0]) / (Double(v[$0]) + Double(eps)).squareRoot() }
    let inner = shape[2] * shape[3]                       // kh · kw
    let outer = outputAxis == 0 ? 1 : shape[0]            // C for a transposed convolution
    let across = outputAxis == 0 ? shape[1] : 1           // C for a convolution
    var folded = weight.toArray()
    for i in 0..<outer {
        for o in 0..<outputs {
            let start = (i * outputs + o) * across * inner
            for k in start..<(start + across * inner) { folded[k] = Float(Double(folded[k]) * scale[o]) }
        }
    }
    let foldedBias = (0..<outputs).map { Float(Double(b[$0]) + (Double(convBias[$0]) - Double(m[$0])) * scale[$0]) }
    return (Tensor(shape: shape, values: folded), Tensor(shape: [outputs], values: foldedBias))
}
