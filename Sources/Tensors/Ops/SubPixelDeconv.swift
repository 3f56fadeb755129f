// ConvTranspose2d(kernel 4, stride 2, padding 1) — SimpleBaseline's upsampling layer — as four 2×2
// convolutions, one per output phase (a, b) ∈ {0, 1}², interleaved into the ×2 output:
//   y[n, o, 2m + a, 2l + b] = Σ_{i,t,u} x[n, i, m − 1 + a + t, l − 1 + b + u] · w[i, o, 3 − a − 2t, 3 − b − 2u]
// i.e. phase (a, b) is a cross-correlation with kernel w_ab[o, i, t, u] = w[i, o, 3 − a − 2t, 3 − b − 2u] and
// padding (1 − a, 1 − b) before, (a, b) after. oneDNN's direct deconvolution needs blocked layouts and runs
// at ~170 GFLOP/s there (DESIGN §4); these NHWC convolutions run at full convolution speed and need no
// activation reorders. Backward: de-interleave dy per phase, convolution backward-data (summed) and
// backward-weights (scattered back into w).
import CDNNL
import Foundation

/// The shapes of a sub-pixel deconvolution: the `HeadDeconvolution` in bf16 and for input widths that are not a
/// multiple of 16, the weight gradient of `StridedConvDeconv`, and the fused inference plan's deconvolution.
struct SubPixelDeconv: HeadDeconvolution {
    let input: [Int]    // [N, C_in, H, W]
    let weight: [Int]   // [C_in, C_out, 4, 4]
    /// The phase convolutions' operand precision (`withAutocast`).
    var precision = Precision.fp32

    var output: [Int] { [input[0], weight[1], 2 * input[2], 2 * input[3]] }

    /// Phase (a, b) as a convolution with `outputChannels` (default C_out) outputs.
    func phaseGeometry(_ a: Int, _ b: Int, outputChannels: Int? = nil) -> ConvGeometry {
        ConvGeometry(input: input, weight: [outputChannels ?? weight[1], weight[0], 2, 2], stride: 1,
                     paddingLow: (1 - a, 1 - b), paddingHigh: (a, b), hasBias: false, precision: precision)
    }

    /// Kernel row (or column) of the 4×4 deconvolution used by tap t of phase a.
    static func tap(_ a: Int, _ t: Int) -> Int { 3 - a - 2 * t }

    /// The phase kernel w_ab [outputChannels, C_in, 2, 2] (default C_out; rows from C_out on are zero), cached
    /// while `w` is unchanged.
    func phaseWeight(_ w: Tensor, _ a: Int, _ b: Int, outputChannels: Int? = nil) -> Tensor {
        let (cin, cout) = (weight[0], weight[1])
        let rows = outputChannels ?? cout
        return WeightLayoutCache.shared.derived(w, key: "subpixel \(a)\(b) \(rows)") { () -> Tensor in
            let out = Tensor(zeros: [rows, cin, 2, 2])
            let src = w.pointer, dst = out.pointer
            for o in 0..<cout {
                for i in 0..<cin {
                    for t in 0..<2 {
                        for u in 0..<2 {
                            dst[((o * cin + i) * 2 + t) * 2 + u] = src[((i * cout + o) * 4 + Self.tap(a, t)) * 4 + Self.tap(b, u)]
                        }
                    }
                }
            }
            return out
        }
    }

    /// Phase (a, b) of the ×2 NHWC grid [N, gridChannels, 2H, 2W] as a strided [N, channels, H, W] descriptor and
    /// the element offset of its first element: reorders interleave phases into the grid and back out.
    func phaseSlice(_ a: Int, _ b: Int, channels: Int, gridChannels: Int,
                    _ type: dnnl_data_type_t = dnnl_f32) -> (desc: dnnl_memory_desc_t, offset: Int) {
        let (h, w) = (input[2], input[3])
        let strides = [4 * h * w * gridChannels, 1, 4 * w * gridChannels, 2 * gridChannels]
        return (memoryDesc([input[0], channels, h, w], strides: strides, type), (a * 2 * w + b) * gridChannels)
    }

    /// Grid padding channels come from zero rows of the phase kernels, which cost oneDNN no more than the partial
    /// last block.
    func forward(_ source: Activation, _ w: Tensor, gridChannels: Int?) -> Tensor {
        let channels = gridChannels ?? weight[1]
        precondition(channels >= weight[1], "SubPixelDeconv: \(channels) grid channels for \(weight[1]) outputs")
        let y = Tensor(uninitialized: [output[0], channels, output[2], output[3]], layout: .channelsLast)
        for a in 0..<2 {
            for b in 0..<2 {
                let phase = conv2dForward(source, phaseWeight(w, a, b, outputChannels: channels), nil,
                                          phaseGeometry(a, b, outputChannels: channels))
                let slice = phaseSlice(a, b, channels: channels, gridChannels: channels)
                reorder(from: memoryDesc(of: phase), phase.raw, to: slice.desc, y.raw + 4 * slice.offset)
            }
        }
        return y
    }

    /// NHWC in `precision`.
    func operand(_ x: Tensor) -> Activation {
        precision == .fp32 ? Activation(x, precision: .fp32) : x.operand(precision)  // fp32: a blocked x is copied
    }

    /// `dy`'s padding channels are not read.
    func backward(_ dy: Tensor, _ source: Activation, _ w: Tensor, needsInputGrad: Bool) -> [Tensor?] {
        let dy = dy.withLayout(.channelsLast)
        defer { withExtendedLifetime(dy) {} }  // raw pointers below outlive the last use of the tensor
        var dx: Tensor?
        let dw = Tensor(uninitialized: weight)
        for a in 0..<2 {
            for b in 0..<2 {
                let geometry = phaseGeometry(a, b)
                let dPhase = phaseGradient(dy, a, b)
                if needsInputGrad {
                    let g = conv2dBackwardData(dPhase, phaseWeight(w, a, b), geometry)
                    dx = dx.map { addNoGrad($0, g) } ?? g
                }
                let (phaseWeightGrad, _) = conv2dWeightGradients(dPhase, source, geometry, transposed: true)
                scatter(phaseWeightGrad, a, b, into: dw)
            }
        }
        return [dx, dw]
    }

    /// Phase (a, b) of the output gradient `dy` (NHWC, C_out or more grid channels) as an activation.
    private func phaseGradient(_ dy: Tensor, _ a: Int, _ b: Int) -> Activation {
        let dPhase = Activation(uninitialized: phaseGeometry(a, b).output, precision: precision)
        let slice = phaseSlice(a, b, channels: weight[1], gridChannels: dy.shape[1])
        reorder(from: slice.desc, dy.raw + 4 * slice.offset, to: dPhase.desc, dPhase.raw)
        return dPhase
    }

    /// Writes phase (a, b)'s weight gradient [C_in, C_out, 2, 2] (transposed, as `conv2dWeightGradients` gives it)
    /// into its four taps of dw [C_in, C_out, 4, 4]: both run through (i, o) in order.
    private func scatter(_ phaseGrad: Tensor, _ a: Int, _ b: Int, into dw: Tensor) {
        let taps = [(0, 0), (0, 1), (1, 0), (1, 1)].map { t, u in (source: t * 2 + u, target: Self.tap(a, t) * 4 + Self.tap(b, u)) }
        withExtendedLifetime(phaseGrad) {
            let g = phaseGrad.pointer, d = dw.pointer
            for pair in 0..<(weight[0] * weight[1]) {
                for tap in taps { d[pair * 16 + tap.target] = g[pair * 4 + tap.source] }
            }
        }
    }
}
