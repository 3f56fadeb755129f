// ConvTranspose2d(kernel 4, stride 2, padding 1) as the data gradient of the convolution it transposes: with
// w [C_in, C_out, 4, 4] read unchanged as the [O, C, kh, kw] weight of  z = conv2d(g, w, stride 2, padding 1)
// (g [N, C_out, 2H, 2W] → z [N, C_in, H, W]),
//   conv_transpose2d(x, w) = ∂⟨z, x⟩/∂g        → oneDNN convolution backward-data with "output gradient" x,
//   d x                  = conv2d(dy, w, 2, 1)  → that convolution's forward on dy,
// one NHWC fp32 primitive each: no phase interleaving and no per-phase gradient sums. d w (= ∂⟨z, x⟩/∂w at g = dy,
// that convolution's backward-weights) comes from the four sub-pixel phases instead, which oneDNN ran faster.
import CDNNL

/// The fp32 head deconvolution as its strided convolution's passes (see `HeadDeconvolution`).
struct StridedConvDeconv: HeadDeconvolution {
    let input: [Int]    // [N, C_in, H, W]
    let weight: [Int]   // [C_in, C_out, 4, 4]

    /// The convolution this deconvolution transposes, over a grid of `channels` (≥ C_out) channels.
    func transposed(channels: Int) -> ConvGeometry {
        ConvGeometry(input: [input[0], channels, 2 * input[2], 2 * input[3]], weight: [weight[0], channels, 4, 4],
                     stride: 2, padding: 1, hasBias: false)
    }

    /// `w` with zero weights for grid channels C_out..<`channels` (`w` itself when there are none), cached while
    /// `w` is unchanged.
    func paddedWeight(_ w: Tensor, channels: Int) -> Tensor {
        let (cin, cout) = (weight[0], weight[1])
        if channels == cout { return w }
        return WeightLayoutCache.shared.derived(w, key: "deconv grid \(channels)") { () -> Tensor in
            let out = Tensor(zeros: [cin, channels, 4, 4])
            for i in 0..<cin {
                (out.pointer + i * channels * 16).update(from: w.pointer + i * cout * 16, count: cout * 16)
            }
            return out
        }
    }

    func operand(_ x: Tensor) -> Activation { Activation(x, precision: .fp32) }

    func forward(_ source: Activation, _ w: Tensor, gridChannels: Int?) -> Tensor {
        let channels = gridChannels ?? weight[1]
        precondition(channels >= weight[1], "StridedConvDeconv: \(channels) grid channels for \(weight[1]) outputs")
        return conv2dBackwardData(source, paddedWeight(w, channels: channels), transposed(channels: channels))
    }

    func backward(_ dy: Tensor, _ source: Activation, _ w: Tensor, needsInputGrad: Bool) -> [Tensor?] {
        let dy = dy.withLayout(.channelsLast)
        let channels = dy.shape[1]
        // Padding channels may hold anything (NaN included) and would meet zero weights: clear them.
        fillChannels(dy, from: weight[1], with: 0)
        let grid = Activation(dy, precision: .fp32)
        let geometry = transposed(channels: channels)
        let kernel = paddedWeight(w, channels: channels)
        let dx = needsInputGrad ? conv2dForward(grid, kernel, nil, geometry) : nil
        // The weight gradient as the sub-pixel phases' (their backward-weights ran faster in the network than the
        // strided convolution's: 350–410 vs 450–560 ms per res50 step).
        let dw = SubPixelDeconv(input: input, weight: weight).backward(dy, source, w, needsInputGrad: false)[1]
        return [dx, dw]
    }
}
