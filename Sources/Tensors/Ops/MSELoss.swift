// loss = scale · mean over N,K,H,W of (w[n,k] · (pred − target))²   — F.mse_loss(pred·w, target·w)
// With scale 1 this is mmpose's KeypointMSELoss(use_target_weight=True); with scale 0.5 it is
// SimpleBaseline's JointsMSELoss (0.5 × per-joint MSE averaged over joints, which is the same mean).
// Backward: d pred = scale · 2/count · w² · (pred − target) · d loss.

/// Mean squared error between heatmaps `pred` and `target` [N, K, H, W], each joint's error weighted
/// by `jointWeights` [N, K] (nil: all 1). Returns a scalar; one tape entry (gradient for `pred` only).
public func mseLoss(_ pred: Tensor, _ target: Tensor, jointWeights: Tensor? = nil, scale: Float = 1) -> Tensor {
    precondition(pred.shape == target.shape, "mseLoss: pred \(pred.shape) and target \(target.shape) differ")
    let predicted = pred.withLayout(.contiguous), expected = target.withLayout(.contiguous)
    defer { withExtendedLifetime((predicted, expected)) {} }  // raw pointers below outlive the last use of the tensor
    let joints = pred.shape.count >= 2 ? pred.shape[0] * pred.shape[1] : 1
    let plane = pred.count / max(joints, 1)
    if let jointWeights {
        precondition(jointWeights.count == joints, "mseLoss: joint weights \(jointWeights.shape) for pred \(pred.shape)")
    }
    let weightSquared: (Int) -> Float = { j in
        guard let jointWeights else { return 1 }
        let w = jointWeights.pointer[j]
        return w * w
    }
    let pp = predicted.pointer, pt = expected.pointer
    var total: Double = 0
    for j in 0..<joints {
        var sum: Float = 0
        for i in (j * plane)..<((j + 1) * plane) {
            let d = pp[i] - pt[i]
            sum += d * d
        }
        total += Double(sum * weightSquared(j))
    }
    let loss = Tensor(scalar: Float(total / Double(pred.count)) * scale)
    Tape.record(loss, inputs: [pred]) { dLoss in
        defer { withExtendedLifetime((predicted, expected)) {} }  // the backward reads them through pp, pt
        let g = dLoss.item() * scale * 2 / Float(pred.count)
        let dPred = Tensor(uninitialized: pred.shape)
        let pd = dPred.pointer
        for j in 0..<joints {
            let factor = g * weightSquared(j)
            for i in (j * plane)..<((j + 1) * plane) { pd[i] = factor * (pp[i] - pt[i]) }
        }
        return [dPred]
    }
    return loss
}
