// y[N,O,2H,2W] = act(conv_transpose(x[N,C,H,W], w'[C,O,4,4], stride 2, padding 1) + b'[O])   — inference only
// SimpleBaseline's deconvolution with its BatchNorm folded in (w', b' from `foldBatchNorm(…, outputAxis: 1)`),
// computed as in `SubPixelDeconv`: four 2×2 phase convolutions, each with the bias and ReLU fused as in
// `fusedConv2d`, interleaved into the ×2 NHWC grid by reorders into strided views (fp32 or bf16 as they are).

/// The fused deconvolution block (ConvTranspose2d(4, 2, 1) → BN(eval) → ReLU) on an activation (a blocked one
/// is read as an NHWC copy); the result is NHWC.
public func fusedConvTranspose2d(_ x: Activation, weight: Tensor, bias: Tensor, relu: Bool) -> Activation {
    let x = x.withLayout(.channelsLast)
    precondition(x.shape[1] == weight.shape[0] && weight.shape.count == 4 && weight.shape[2] == 4
                 && weight.shape[3] == 4 && bias.shape == [weight.shape[1]] && weight.layout == .contiguous,
                 "fusedConvTranspose2d: input \(x.shape), weight \(weight.shape) and bias \(bias.shape) do not match")
    let deconv = SubPixelDeconv(input: x.shape, weight: weight.shape)
    let y = Activation(uninitialized: deconv.output, precision: x.precision)
    let channels = weight.shape[1]
    for a in 0..<2 {
        for b in 0..<2 {
            let geometry = deconv.phaseGeometry(a, b)
            let phase = Activation(uninitialized: geometry.output, precision: x.precision)
            fusedConvForward(x, deconv.phaseWeight(weight, a, b), bias, geometry, relu: relu, accumulate: false,
                             into: phase)
            let slice = deconv.phaseSlice(a, b, channels: channels, gridChannels: channels, x.precision.dataType)
            reorder(from: phase.desc, phase.raw, to: slice.desc, y.raw + x.precision.byteWidth * slice.offset)
            withExtendedLifetime(phase) {}
        }
    }
    return y
}
