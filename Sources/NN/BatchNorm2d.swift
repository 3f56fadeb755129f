// torch.nn.BatchNorm2d: weight/bias [C] trained, running_mean/running_var [C] and
// num_batches_tracked saved. Train mode uses batch statistics and updates the running ones.
import Tensors

/// Batch normalisation over channels with PyTorch's defaults (eps 1e-5, momentum 0.1).
public final class BatchNorm2d: Module {
    public let weight: Tensor
    public let bias: Tensor
    public let runningMean: Tensor
    public let runningVar: Tensor
    public let numBatchesTracked = Counter()
    public let eps: Float
    public let momentum: Float

    public init(_ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        weight = Tensor(repeating: 1, shape: [channels])
        bias = Tensor(zeros: [channels])
        runningMean = Tensor(zeros: [channels])
        runningVar = Tensor(repeating: 1, shape: [channels])
        self.eps = eps
        self.momentum = momentum
    }

    /// Normalises `x`; with `relu: true` returns relu(bn(x)) computed in one fused pass.
    public func callAsFunction(_ x: Tensor, relu: Bool = false) -> Tensor {
        if isTraining { numBatchesTracked.value += 1 }
        return batchNorm2d(x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                           training: isTraining, momentum: momentum, eps: eps, fuseReLU: relu)
    }

    /// `self(deconv(x), relu:)` as one op (`convTranspose2dBatchNorm2d`: the same values, fewer copies for
    /// channel counts that are not multiples of 16); a deconvolution with bias runs the two layers in turn.
    public func callAsFunction(_ x: Tensor, after deconv: ConvTranspose2d, relu: Bool = false) -> Tensor {
        guard deconv.bias == nil else { return self(deconv(x), relu: relu) }
        if isTraining { numBatchesTracked.value += 1 }
        return convTranspose2dBatchNorm2d(x, deconv.weight, stride: deconv.stride, padding: deconv.padding,
                                          normWeight: weight, normBias: bias, runningMean: runningMean,
                                          runningVar: runningVar, training: isTraining, momentum: momentum, eps: eps,
                                          fuseReLU: relu)
    }

    public override func visitState(_ visitor: StateVisitor) {
        visitor.visit("weight", .parameter(weight))
        visitor.visit("bias", .parameter(bias))
        visitor.visit("running_mean", .buffer(runningMean))
        visitor.visit("running_var", .buffer(runningVar))
        visitor.visit("num_batches_tracked", .counter(numBatchesTracked))
    }
}
