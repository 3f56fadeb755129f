// The training loss of `train.loss`: keypoint MSE with per-joint target weights, in either reference form.
// N = batch, K = joints, [H, W] = heatmap size.
import Tensors

extension LossForm {
    /// Multiplier of `mseLoss`: mmpose `KeypointMSELoss(use_target_weight=True)` is the weighted mean (1);
    /// SimpleBaseline `JointsMSELoss` is 0.5 × the per-joint MSE averaged over joints, the same mean halved.
    public var scale: Float { self == .mmpose ? 1 : 0.5 }

    /// Loss of heatmaps `output` [N, K, H, W] against `target` [N, K, H, W] with `weights` [N, K].
    public func loss(_ output: Tensor, target: Tensor, weights: Tensor) -> Tensor {
        mseLoss(output, target, jointWeights: weights, scale: scale)
    }
}
