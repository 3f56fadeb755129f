// y[N,O,H',W'] = act(x[N,C,H,W] ⋆ w'[O,C,kh,kw] + b'[O] (+ r[N,O,H',W']))   — inference only, no tape
// One oneDNN forward_inference convolution with post-ops: `sum` (the residual r, accumulated into the
// destination, which is r's memory) then `eltwise relu`. Conv → BatchNorm(eval) pairs come in folded
// (`foldBatchNorm`). Source and destination are NHWC fp32 or bf16, or blocked fp32 (3×3 stride-1 ones then
// run as Winograd where oneDNN has it for the post-ops, as in training: `ConvGeometry.preferringWinograd`);
// weights are reordered (and converted to bf16) into the primitive's layout once and cached while the folded
// weight is unchanged; bias stays fp32; accumulation is fp32.
import CDNNL

/// A convolution ready for inference: its (BN-folded) weight `[O, C, kh, kw]`, bias `[O]` and geometry.
public struct FoldedConv: Sendable {
    public let weight: Tensor
    public let bias: Tensor
    public let stride: Int
    public let padding: Int

    public init(weight: Tensor, bias: Tensor, stride: Int, padding: Int) {
        precondition(weight.shape.count == 4 && bias.shape == [weight.shape[0]] && weight.layout == .contiguous,
                     "FoldedConv: weight \(weight.shape) (\(weight.layout)) and bias \(bias.shape) do not match")
        self.weight = weight
        self.bias = bias
        self.stride = stride
        self.padding = padding
    }
}

/// `act(conv(x) + bias (+ residual))` in one oneDNN primitive; returns `residual` itself when given (its
/// memory is overwritten: pass a residual nobody reads afterwards). The result has the input's layout (NHWC when
/// the input is blocked and O not a multiple of 16).
/// - Parameters:
///   - relu: apply ReLU after the bias and the residual sum (eltwise post-op).
///   - residual: the block's shortcut `[N, O, H', W']`, same precision as the result (sum post-op).
///   - output: the result's precision (default: the input's); bf16 → fp32 serves the final heatmaps.
public func fusedConv2d(_ x: Activation, _ conv: FoldedConv, relu: Bool, residual: Activation? = nil,
                        output: Precision? = nil) -> Activation {
    precondition(x.shape[1] == conv.weight.shape[1],
                 "fusedConv2d: input \(x.shape) and weight \(conv.weight.shape) do not match")
    let x = x.layout.holds(channels: conv.weight.shape[0]) ? x : x.withLayout(.channelsLast)
    let geometry = ConvGeometry(input: x.shape, weight: conv.weight.shape, stride: conv.stride,
                                padding: conv.padding, hasBias: true, layout: x.layout).preferringWinograd()
    let precision = residual?.precision ?? output ?? x.precision
    let y = residual ?? Activation(uninitialized: geometry.output, precision: precision, layout: x.layout)
    precondition(y.shape == geometry.output && y.precision == precision && y.layout == x.layout,
                 "fusedConv2d: residual \(y.shape) \(y.precision) \(y.layout), "
                    + "expected \(geometry.output) \(precision) \(x.layout)")
    fusedConvForward(x, conv.weight, conv.bias, geometry, relu: relu, accumulate: residual != nil, into: y)
    return y
}

/// The conv primitive with `relu`/`accumulate` post-ops, run from `x` into `y` (which holds the residual
/// when `accumulate`). Shared with the fused sub-pixel deconvolution's phase convolutions.
func fusedConvForward(_ x: Activation, _ weight: Tensor, _ bias: Tensor, _ geometry: ConvGeometry,
                      relu: Bool, accumulate: Bool, into y: Activation) {
    let primitive = fusedConvPrimitive(geometry, source: x.precision, destination: y.precision,
                                       relu: relu, accumulate: accumulate)
    let weightsDesc = primitive.memoryDesc(dnnl_query_weights_md)
    let (weights, keep) = WeightLayoutCache.shared.buffer(weightsDesc, weight)
    primitive.execute([(DNNL_ARG_SRC, x.desc, x.raw), (DNNL_ARG_WEIGHTS, weightsDesc, weights),
                       (DNNL_ARG_BIAS, geometry.biasDesc, bias.raw), (DNNL_ARG_DST, y.desc, y.raw)])
    geometry.countFlops()
    withExtendedLifetime((keep, weight, bias)) {}
}

private func fusedConvPrimitive(_ geometry: ConvGeometry, source: Precision, destination: Precision,
                                relu: Bool, accumulate: Bool) -> Primitive {
    let key = "fused conv \(geometry) \(source)->\(destination) sum \(accumulate) relu \(relu)"
    return PrimitiveCache.shared.primitive(key) {
        let tag = formatTag(rank: 4, geometry.layout)
        func desc(_ algorithm: dnnl_alg_kind_t) -> dnnl_convolution_desc_t {
            var desc = dnnl_convolution_desc_t()
            var src = memoryDesc(geometry.input, tag, source.dataType)
            var weights = memoryDesc(geometry.weight, dnnl_format_tag_any, source.dataType)
            var bias = geometry.biasDesc
            var dst = memoryDesc(geometry.output, tag, destination.dataType)
            dnnlCheck(dnnl_convolution_forward_desc_init(
                &desc, dnnl_forward_inference, algorithm, &src, &weights, &bias, &dst,
                geometry.strides, geometry.paddingsLow, geometry.paddingsHigh), "fused conv desc \(geometry)")
            return desc
        }
        let attr = postOpsAttribute(sum: accumulate, relu: relu)
        defer { dnnl_primitive_attr_destroy(attr) }
        // Winograd's kernels may lack a post-op combination: then direct.
        if geometry.winograd {
            var winograd = desc(dnnl_convolution_winograd)
            if let primitive = Primitive.ifImplemented(opDesc: &winograd, attr: attr, what: key) { return primitive }
        }
        var direct = desc(dnnl_convolution_direct)
        return Primitive(opDesc: &direct, attr: attr, what: key)
    }
}

/// oneDNN's implementation of a small bf16 convolution on this CPU (e.g. `brg:avx512_core_bf16`), or nil
/// when the CPU has no native bf16 (oneDNN would emulate or fall back to `ref:`).
public func bf16ConvolutionImplementation() -> String? {
    let bf16 = dnnl_cpu_isa_avx512_core_bf16.rawValue
    guard dnnl_get_effective_cpu_isa().rawValue & bf16 == bf16 else { return nil }
    let geometry = ConvGeometry(input: [1, 64, 16, 16], weight: [64, 64, 3, 3], stride: 1, padding: 1, hasBias: true)
    let implementation = fusedConvPrimitive(geometry, source: .bf16, destination: .bf16, relu: true,
                                            accumulate: false).implementation
    return implementation.contains("bf16") && !implementation.hasPrefix("ref") ? implementation : nil
}
