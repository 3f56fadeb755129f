// ConvTranspose2d(kernel 4, stride 2, padding 1) without bias — SimpleBaseline's upsampling layer — computed with
// convolution primitives in one of two ways (oneDNN's own deconvolution primitive is slow here, DESIGN §4): in fp32
// with C_in a multiple of 16 (SimpleBaseline's 2048 and 256), forward and backward-data as the strided convolution
// it transposes (`StridedConvDeconv`: one primitive each, C_in that convolution's output channels); otherwise as
// four 2×2 sub-pixel phase convolutions (`SubPixelDeconv`), whose backward-weights both use. oneDNN 2.6's AMX
// kernels run the phases 1.5–3× faster than the strided convolution in bf16 (Tools/onednn_head_strided.cpp), and
// the paper-width multi-scale head's 2065/273/290 input channels (a partial last block as the strided
// convolution's output) ran slower strided in res50_4 training (docs/PERFORMANCE.md, "Fifth session").

/// A kernel-4 stride-2 padding-1 transposed convolution without bias, forward and backward.
protocol HeadDeconvolution {
    /// The input `x` [N, C_in, H, W] (any layout) as the forward reads it (backward reads it too).
    func operand(_ x: Tensor) -> Activation
    /// The output [N, C_out, 2H, 2W] NHWC, or with `gridChannels` > C_out an NHWC [N, gridChannels, 2H, 2W] whose
    /// channels C_out..<gridChannels are zero (the channel padding of a following op, see ChannelPadding).
    func forward(_ source: Activation, _ w: Tensor, gridChannels: Int?) -> Tensor
    /// Returns [dx (when `needsInputGrad`), dw]; `dy` may have padding channels after the C_out real ones, holding
    /// anything (they do not reach dx or dw; a channelsLast `dy` may have them overwritten with zeros); `source`
    /// is the forward's.
    func backward(_ dy: Tensor, _ source: Activation, _ w: Tensor, needsInputGrad: Bool) -> [Tensor?]
}

extension HeadDeconvolution {
    func forward(_ source: Activation, _ w: Tensor) -> Tensor { forward(source, w, gridChannels: nil) }
}

/// Whether `convTranspose2d` with these parameters runs as a `HeadDeconvolution`.
func isHeadDeconvolution(weight: [Int], stride: Int, padding: Int, hasBias: Bool) -> Bool {
    weight[2] == 4 && weight[3] == 4 && stride == 2 && padding == 1 && !hasBias
}

/// The way to compute a head deconvolution of input [N, C_in, H, W] and weight [C_in, C_out, 4, 4] with operands
/// in `precision`.
func headDeconvolution(input: [Int], weight: [Int], precision: Precision) -> any HeadDeconvolution {
    precision == .fp32 && input[1] % ChannelPadding.block == 0 ? StridedConvDeconv(input: input, weight: weight)
        : SubPixelDeconv(input: input, weight: weight, precision: precision)
}
