// y = (x − μ) / sqrt(σ² + eps) · γ + β over x[N,C,H,W], per channel C   — torch.nn.functional.batch_norm
// Training: μ, σ² are the batch statistics (biased σ²), and the running statistics are updated as
// PyTorch does: running = (1 − momentum)·running + momentum·stat, with the unbiased σ²·M/(M − 1),
// M = N·H·W. Eval: μ, σ² are the running statistics. oneDNN computes forward and backward.
// With `fuseReLU` the op returns relu(y) in the same pass (oneDNN's fuse_norm_relu; the backward reads
// the ReLU mask from the forward's workspace) — the unfused path stays for tests and eval-mode grads.
// NHWC inputs whose C is not a multiple of 16 run on a zero-padded copy (ChannelPadding): oneDNN 2.6 has
// no jit kernel for them (`nspc_bnorm:any`, 10–30× slower than `bnorm_jit` on the padded copy).
import CDNNL

/// Batch normalisation with PyTorch semantics; one tape entry giving (dx, dγ, dβ).
/// In training mode `runningMean` and `runningVar` are updated in place. An NHWC input whose channel count
/// is not a multiple of 16 runs on a zero-padded copy (`ChannelPadding`: oneDNN's NHWC kernel for such
/// counts is 10–30× slower); `padChannels: false` runs it unpadded (tests compare the two).
public func batchNorm2d(_ x: Tensor, weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor,
                        training: Bool, momentum: Float = 0.1, eps: Float = 1e-5, fuseReLU: Bool = false,
                        padChannels: Bool = true) -> Tensor {
    let inputs = [x, weight, bias]  // of the tape entry
    if fuseReLU && !training && Tape.needsRecord(inputs) {
        // Eval-mode gradients (frozen BN) have no fused backward here: compose the two ops.
        return relu(batchNorm2d(x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                                training: false, momentum: momentum, eps: eps, padChannels: padChannels))
    }
    precondition(x.shape.count == 4, "batchNorm2d: input \(x.shape) is not 4-D")
    let padding = ChannelPadding(channels: x.shape[1], enabled: padChannels && x.layout == .channelsLast)
    let (y, backward) = batchNorm2dPadded(padding.pad(x), padding, weight: weight, bias: bias,
                                          runningMean: runningMean, runningVar: runningVar, training: training,
                                          momentum: momentum, eps: eps, fuseReLU: fuseReLU,
                                          recordedWith: inputs)
    Tape.record(y, inputs: inputs) { dy in
        let grads = backward(dy)
        return [padding.unpad(grads[0]), grads[1], grads[2]]
    }
    return y
}

/// Batch normalisation of `xp`, the channel-padded NHWC copy [N, Cp, H, W] of an input [N, C, H, W] (`padding`,
/// zero padding channels; `xp` is the input itself when C needs none), with the C channels' parameters. Returns
/// y [N, C, H, W] and the backward from dy [N, C, H, W] to [dxp [N, Cp, H, W], dγ [C], dβ [C]]; updates the
/// running statistics in training mode. Padding channels have γ = β = 0, so they normalise to zero and never
/// mix with the real ones: the real channels get the values of an unpadded run. Under bf16 autocast the
/// training backward reads a bf16 copy of `xp` (PyTorch's autocast batch norm reads the convolution's bf16
/// output): half the memory of the largest saved activations; the statistics stay fp32. `inputs` are those of
/// the tape entry the caller records (whether y gets a recipe, `recomputes(inputs:)`); the backward keeps y's
/// recipe alive.
func batchNorm2dPadded(_ xp: Tensor, _ padding: ChannelPadding, weight: Tensor, bias: Tensor, runningMean: Tensor,
                       runningVar: Tensor, training: Bool, momentum: Float, eps: Float, fuseReLU: Bool,
                       recordedWith inputs: [Tensor?]) -> (output: Tensor, backward: (Tensor) -> [Tensor]) {
    let channels = padding.channels
    precondition(xp.shape.count == 4 && xp.shape[1] == padding.padded
                    && [weight, bias, runningMean, runningVar].allSatisfy { $0.shape == [channels] },
                 "batchNorm2d: input \(xp.shape) (\(channels) channels) with parameters of shape \(weight.shape)")
    let gamma = padding.pad(vector: weight, fill: 0), beta = padding.pad(vector: bias, fill: 0)
    let statistics: (mean: Tensor, variance: Tensor)
    let y: Tensor
    var workspace: Storage?
    if training {
        (y, statistics, workspace) = batchNorm2dForwardTraining(xp, gamma, beta, eps: eps, fuseReLU: fuseReLU)
        let m = Float(xp.shape[0] * xp.shape[2] * xp.shape[3])
        let unbiased = m > 1 ? m / (m - 1) : 1
        let rm = runningMean.pointer, rv = runningVar.pointer
        let mean = statistics.mean.pointer, variance = statistics.variance.pointer
        for c in 0..<channels {
            rm[c] = (1 - momentum) * rm[c] + momentum * mean[c]
            rv[c] = (1 - momentum) * rv[c] + momentum * variance[c] * unbiased
        }
        runningMean.version += 1  // inference plans folded from the old statistics are stale
        runningVar.version += 1
    } else {
        statistics = (padding.pad(vector: runningMean, fill: 0), padding.pad(vector: runningVar, fill: 1))
        y = batchNorm2dForwardInference(xp, gamma, beta, mean: statistics.mean, variance: statistics.variance,
                                        eps: eps, fuseReLU: fuseReLU)
    }
    let savedInput: () -> Tensor
    if training && Tape.gradEnabled && Tape.autocast == .bf16 {
        let copy = Activation(xp, precision: .bf16)
        savedInput = { copy.tensor() }
    } else {
        savedInput = { xp }
    }
    let output = padding.unpad(y)
    let recipe = !training ? nil : output.attachRebuild(inputs: inputs) {
        padding.unpad(batchNorm2dForwardInference(xp, gamma, beta, mean: statistics.mean,
                                                  variance: statistics.variance, eps: eps, fuseReLU: fuseReLU))
    }
    return (output, { dy in
        withExtendedLifetime(recipe) {}  // the recipe lives as long as this backward (see Recomputation.swift)
        // dy's padding channels may hold anything: batch norm's backward keeps channels apart, so they only
        // reach the padding channels of dxp, dγ and dβ, which nobody reads.
        let grads = batchNorm2dBackward(padding.pad(dy, zeroPadding: false), savedInput(), gamma, beta, mean: statistics.mean,
                                        variance: statistics.variance, globalStatistics: !training, eps: eps,
                                        workspace: workspace)
        return [grads[0]!, padding.unpad(vector: grads[1]!), padding.unpad(vector: grads[2]!)]
    })
}

private func flags(globalStatistics: Bool, fuseReLU: Bool) -> UInt32 {
    var flags = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue
    if globalStatistics { flags |= dnnl_use_global_stats.rawValue }
    if fuseReLU { flags |= dnnl_fuse_norm_relu.rawValue }
    return flags
}

private func forwardPrimitive(_ x: Tensor, training: Bool, globalStatistics: Bool, eps: Float,
                              fuseReLU: Bool) -> Primitive {
    let key = "bn fwd \(layoutKey(x)) \(training) \(globalStatistics) \(eps) relu \(fuseReLU)"
    return PrimitiveCache.shared.primitive(key) {
        var desc = dnnl_batch_normalization_desc_t()
        var md = memoryDesc(of: x)
        dnnlCheck(dnnl_batch_normalization_forward_desc_init(
            &desc, training ? dnnl_forward_training : dnnl_forward_inference, &md, eps,
            flags(globalStatistics: globalStatistics, fuseReLU: fuseReLU)), "bn fwd desc")
        return Primitive(opDesc: &desc, what: key)
    }
}

/// Training forward: returns y, the batch mean and biased variance, and (fused ReLU) the ReLU mask.
func batchNorm2dForwardTraining(_ x: Tensor, _ weight: Tensor, _ bias: Tensor, eps: Float,
                                fuseReLU: Bool) -> (Tensor, (mean: Tensor, variance: Tensor), Storage?) {
    let primitive = forwardPrimitive(x, training: true, globalStatistics: false, eps: eps, fuseReLU: fuseReLU)
    let y = Tensor(uninitialized: x.shape, layout: x.layout)
    let channels = x.shape[1]
    let mean = Tensor(uninitialized: [channels]), variance = Tensor(uninitialized: [channels])
    let md = memoryDesc(of: x), vector = memoryDesc([channels], dnnl_a)
    var args = [(DNNL_ARG_SRC, md, x.raw), (DNNL_ARG_DST, md, y.raw),
                (DNNL_ARG_SCALE, vector, weight.raw), (DNNL_ARG_SHIFT, vector, bias.raw),
                (DNNL_ARG_MEAN, vector, mean.raw), (DNNL_ARG_VARIANCE, vector, variance.raw)]
    var workspace: Storage?
    if fuseReLU {
        let workspaceDesc = primitive.memoryDesc(dnnl_query_workspace_md)
        let storage = Storage(count: (memoryDescSize(workspaceDesc) + 3) / 4)
        args.append((DNNL_ARG_WORKSPACE, workspaceDesc, UnsafeMutableRawPointer(storage.pointer)))
        workspace = storage
    }
    primitive.execute(args)
    return (y, (mean, variance), workspace)
}

/// Inference forward with given statistics.
func batchNorm2dForwardInference(_ x: Tensor, _ weight: Tensor, _ bias: Tensor, mean: Tensor, variance: Tensor,
                                 eps: Float, fuseReLU: Bool) -> Tensor {
    let primitive = forwardPrimitive(x, training: false, globalStatistics: true, eps: eps, fuseReLU: fuseReLU)
    let y = Tensor(uninitialized: x.shape, layout: x.layout)
    let md = memoryDesc(of: x), vector = memoryDesc([x.shape[1]], dnnl_a)
    primitive.execute([(DNNL_ARG_SRC, md, x.raw), (DNNL_ARG_DST, md, y.raw),
                       (DNNL_ARG_SCALE, vector, weight.raw), (DNNL_ARG_SHIFT, vector, bias.raw),
                       (DNNL_ARG_MEAN, vector, mean.raw), (DNNL_ARG_VARIANCE, vector, variance.raw)])
    return y
}

/// Returns [dx, dγ, dβ]; with `globalStatistics` the statistics are constants (eval mode); a
/// `workspace` (the fused ReLU's mask) makes it the backward of relu(bn(x)).
/// oneDNN 2.6 fails (invalid arguments) unless the shift is passed to backward too.
func batchNorm2dBackward(_ dy: Tensor, _ x: Tensor, _ weight: Tensor, _ bias: Tensor, mean: Tensor, variance: Tensor,
                         globalStatistics: Bool, eps: Float, workspace: Storage?) -> [Tensor?] {
    let fuseReLU = workspace != nil
    let key = "bn bwd \(layoutKey(x)) \(globalStatistics) \(eps) relu \(fuseReLU)"
    let hint = forwardPrimitive(x, training: true, globalStatistics: globalStatistics, eps: eps, fuseReLU: fuseReLU)
    let primitive = PrimitiveCache.shared.primitive(key) {
        var desc = dnnl_batch_normalization_desc_t()
        var md = memoryDesc(of: x)
        dnnlCheck(dnnl_batch_normalization_backward_desc_init(
            &desc, dnnl_backward, &md, &md, eps, flags(globalStatistics: globalStatistics, fuseReLU: fuseReLU)),
            "bn bwd desc")
        return Primitive(opDesc: &desc, hint: hint, what: key)
    }
    let dy = dy.withLayout(x.layout)
    defer { withExtendedLifetime(dy) {} }  // raw pointers below outlive the last use of the tensor
    let channels = x.shape[1]
    let dx = Tensor(uninitialized: x.shape, layout: x.layout)
    let dWeight = Tensor(uninitialized: [channels]), dBias = Tensor(uninitialized: [channels])
    let md = memoryDesc(of: x), vector = memoryDesc([channels], dnnl_a)
    var args = [(DNNL_ARG_SRC, md, x.raw), (DNNL_ARG_DIFF_DST, md, dy.raw),
                (DNNL_ARG_MEAN, vector, mean.raw), (DNNL_ARG_VARIANCE, vector, variance.raw),
                (DNNL_ARG_SCALE, vector, weight.raw), (DNNL_ARG_SHIFT, vector, bias.raw),
                (DNNL_ARG_DIFF_SRC, md, dx.raw),
                (DNNL_ARG_DIFF_SCALE, vector, dWeight.raw), (DNNL_ARG_DIFF_SHIFT, vector, dBias.raw)]
    if let workspace {
        args.append((DNNL_ARG_WORKSPACE, primitive.memoryDesc(dnnl_query_workspace_md),
                     UnsafeMutableRawPointer(workspace.pointer)))
    }
    primitive.execute(args)
    return [dx, dWeight, dBias]
}
