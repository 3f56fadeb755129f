// y = relu?(batch_norm(conv_transpose2d(x[N,C,H,W], w[C,O,4,4], stride 2, padding 1)))   — SimpleBaseline's
// deconvolution block (ConvTranspose2d(4, 2, 1, bias=False) → BatchNorm2d → ReLU) as one op, same values as
// the ops composed. The deconvolution (`HeadDeconvolution`) writes straight into the NHWC buffer the batch
// norm reads, padded to whole 16-channel blocks (ChannelPadding), and its backward reads the batch norm's
// padded input gradient: odd widths such as the multi-scale head's 273 and 290 channels need no pad and unpad
// copies around the batch norm. Backward: batch norm, then deconvolution.

/// The deconvolution block `relu?(batchNorm2d(convTranspose2d(x, w, stride:, padding:)))` as one tape entry
/// giving (dx, dw, dγ, dβ); `normWeight`, `normBias`, `runningMean`, `runningVar` are the batch norm's (see
/// `batchNorm2d`). Cases without a `HeadDeconvolution` (bias, other kernels) and eval-mode gradients through
/// a fused ReLU run the ops composed.
public func convTranspose2dBatchNorm2d(_ x: Tensor, _ w: Tensor, stride: Int, padding: Int, normWeight: Tensor,
                                       normBias: Tensor, runningMean: Tensor, runningVar: Tensor, training: Bool,
                                       momentum: Float = 0.1, eps: Float = 1e-5, fuseReLU: Bool = false) -> Tensor {
    precondition(x.shape.count == 4 && w.shape.count == 4 && x.shape[1] == w.shape[0],
                 "convTranspose2dBatchNorm2d: input \(x.shape) and weight \(w.shape) do not match")
    let inputs = [x, w, normWeight, normBias]  // of the tape entry
    let composed = !isHeadDeconvolution(weight: w.shape, stride: stride, padding: padding, hasBias: false)
        || (fuseReLU && !training && Tape.needsRecord(inputs))
    if composed {
        return batchNorm2d(convTranspose2d(x, w, stride: stride, padding: padding), weight: normWeight,
                           bias: normBias, runningMean: runningMean, runningVar: runningVar, training: training,
                           momentum: momentum, eps: eps, fuseReLU: fuseReLU)
    }
    let deconv = headDeconvolution(input: x.shape, weight: w.shape, precision: Tape.autocast)
    let kernel = w.withLayout(.contiguous)
    let channels = ChannelPadding(channels: w.shape[1])
    let source = deconv.operand(x)
    let grid = deconv.forward(source, kernel, gridChannels: channels.padded)
    let (y, normBackward) = batchNorm2dPadded(grid, channels, weight: normWeight, bias: normBias,
                                              runningMean: runningMean, runningVar: runningVar, training: training,
                                              momentum: momentum, eps: eps, fuseReLU: fuseReLU,
                                              recordedWith: inputs)
    let needsInputGrad = x.requiresGrad  // read here: a closure that captured x would keep it alive
    let saved = Saved(operand: source, of: x, recordedWith: inputs)
    Tape.record(y, inputs: inputs) { dy in
        let normGrads = normBackward(dy)
        let deconvGrads = deconv.backward(normGrads[0], saved.take(), kernel, needsInputGrad: needsInputGrad)
        return [deconvGrads[0], deconvGrads[1], normGrads[1], normGrads[2]]
    }
    return y
}
