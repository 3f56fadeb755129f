// y[N,O,H',W'] = x[N,C,H,W] ⋆ w[O,C,kh,kw] + b[O]   — torch.nn.functional.conv2d (groups 1, dilation 1)
// H' = (H + 2·padding − kh) / stride + 1. Activations come out channelsLast (NHWC), or `blocked` (nChw16c)
// when the input is blocked fp32 and C_out a multiple of 16 (a ResNet's stages in fp32), where 3×3 stride-1
// ones run as Winograd (`preferringWinograd`); weights stay in PyTorch's [O, C, kh, kw] and are reordered into the
// primitive's layout (cached while the weight is unchanged). Under `withAutocast(.bf16)` the operands
// (input, weight, output gradient) are bf16 copies and oneDNN accumulates in fp32 (AMX on CPUs that have
// it); outputs and gradients are fp32, and the backward reads the bf16 copy of the input saved by forward.
import CDNNL
import Synchronization

/// The shapes and hyper-parameters of one convolution, and its cache key.
struct ConvGeometry: CustomStringConvertible {
    let input: [Int]
    let weight: [Int]   // [O, C, kh, kw]
    let stride: Int
    /// Padding before (top, left) and after (bottom, right); PyTorch's `padding` sets all four.
    let paddingLow: (h: Int, w: Int)
    let paddingHigh: (h: Int, w: Int)
    let hasBias: Bool
    /// The operands' element type (input, weights, output gradient); results are always fp32.
    private(set) var precision: Precision
    /// The layout of the input, output and their gradients: `channelsLast` or `blocked`.
    let layout: Layout

    /// Whether it runs as oneDNN's Winograd F(4×4, 3×3) instead of directly (`preferringWinograd`).
    private(set) var winograd: Bool

    init(input: [Int], weight: [Int], stride: Int, padding: Int, hasBias: Bool, precision: Precision = .fp32,
         layout: Layout = .channelsLast) {
        self.init(input: input, weight: weight, stride: stride, paddingLow: (padding, padding),
                  paddingHigh: (padding, padding), hasBias: hasBias, precision: precision, layout: layout)
    }

    init(input: [Int], weight: [Int], stride: Int, paddingLow: (h: Int, w: Int), paddingHigh: (h: Int, w: Int),
         hasBias: Bool, precision: Precision = .fp32, layout: Layout = .channelsLast) {
        self.input = input
        self.weight = weight
        self.stride = stride
        self.paddingLow = paddingLow
        self.paddingHigh = paddingHigh
        self.hasBias = hasBias
        self.precision = precision
        self.layout = layout
        winograd = false
    }

    var output: [Int] {
        [input[0], weight[0],
         (input[2] + paddingLow.h + paddingHigh.h - weight[2]) / stride + 1,
         (input[3] + paddingLow.w + paddingHigh.w - weight[3]) / stride + 1]
    }
    /// The same convolution (direct) with operands in `precision`.
    func with(precision: Precision) -> ConvGeometry {
        var geometry = self
        geometry.precision = precision
        geometry.winograd = false
        return geometry
    }

    var description: String {
        "\(input) w\(weight) s\(stride) p\(paddingLow.h),\(paddingLow.w),\(paddingHigh.h),\(paddingHigh.w) b\(hasBias)"
            + (precision == .fp32 ? "" : " \(precision)") + (layout == .channelsLast ? "" : " \(layout)")
            + (winograd ? " winograd" : "")
    }

    /// Source and destination share `layout` (oneDNN runs mixed NCHW/NHWC convolutions with `ref:`). Operands
    /// (source, weights, output gradient) have the geometry's precision; results (destination, input gradient,
    /// weight gradient) are fp32.
    var sourceDesc: dnnl_memory_desc_t { memoryDesc(input, activationTag, precision.dataType) }
    var inputGradDesc: dnnl_memory_desc_t { memoryDesc(input, activationTag) }
    var weightsAnyDesc: dnnl_memory_desc_t { memoryDesc(weight, dnnl_format_tag_any, precision.dataType) }
    var weightGradAnyDesc: dnnl_memory_desc_t { memoryDesc(weight, dnnl_format_tag_any) }
    var biasDesc: dnnl_memory_desc_t { memoryDesc([weight[0]], dnnl_a) }
    /// The bias descriptor, or a zero descriptor (which tells oneDNN there is no bias).
    var optionalBiasDesc: dnnl_memory_desc_t { hasBias ? biasDesc : dnnl_memory_desc_t() }
    var destinationDesc: dnnl_memory_desc_t { memoryDesc(output, activationTag) }
    var outputGradDesc: dnnl_memory_desc_t { memoryDesc(output, activationTag, precision.dataType) }
    private var activationTag: dnnl_format_tag_t { formatTag(rank: 4, layout) }

    var algorithm: dnnl_alg_kind_t { winograd ? dnnl_convolution_winograd : dnnl_convolution_direct }

    /// This convolution as oneDNN's Winograd (`jit_wino_4x3`, F(4×4, 3×3); at batch 1 in inference
    /// `jit_fp32_wino_2x3`) when it is an fp32 3×3 stride-1 convolution with padding 1 on blocked activations,
    /// the thread allows it (`withWinograd`) and oneDNN has the kernel: 1.5–2.7× faster than direct on
    /// ResNet-50's 3×3 layers here, in all three passes, with rounding errors a few times direct's (see
    /// BlockedLayoutTests). Else unchanged (direct).
    func preferringWinograd() -> ConvGeometry {
        guard Tape.winograd && layout == .blocked && precision == .fp32 && weight[2] == 3 && weight[3] == 3
                && stride == 1 && paddingLow == (1, 1) && paddingHigh == (1, 1)
                && winogradSupported(self) else { return self }
        var geometry = self
        geometry.winograd = true
        return geometry
    }
    var strides: [Int64] { [Int64(stride), Int64(stride)] }
    var paddingsLow: [Int64] { [Int64(paddingLow.h), Int64(paddingLow.w)] }
    var paddingsHigh: [Int64] { [Int64(paddingHigh.h), Int64(paddingHigh.w)] }

    /// Counts one pass (forward, backward-data or backward-weights all cost the same).
    func countFlops() {
        let o = output
        FlopCounter.addConvolution(batch: o[0], outChannels: o[1], outHeight: o[2], outWidth: o[3],
                                   inChannels: weight[1], kernelHeight: weight[2], kernelWidth: weight[3])
    }
}

/// 2-D convolution with PyTorch semantics; records one tape entry giving (dx, dw, db).
/// The input gradient is skipped when `x` does not require grad (e.g. the stem on images).
/// An NCHW input is reordered to NHWC first; the input gradient comes back NHWC. A blocked fp32 input gives a
/// blocked output and input gradient (NHWC when C_out is not a multiple of 16). Computes in the thread's
/// autocast precision (`withAutocast`).
public func conv2d(_ x: Tensor, _ w: Tensor, bias b: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
    precondition(x.shape.count == 4 && w.shape.count == 4 && x.shape[1] == w.shape[1],
                 "conv2d: input \(x.shape) and weight \(w.shape) do not match")
    var source = x.operand(Tape.autocast)
    if !source.layout.holds(channels: w.shape[0]) { source = Activation(x, precision: source.precision) }
    let geometry = ConvGeometry(input: x.shape, weight: w.shape, stride: stride, padding: padding, hasBias: b != nil,
                                precision: source.precision, layout: source.layout).preferringWinograd()
    let y = conv2dForward(source, w, b, geometry)
    let needsInputGrad = x.requiresGrad  // read here: a closure that captured x would keep it alive
    let inputs = [x, w, b]
    let saved = Saved(operand: source, of: x, recordedWith: inputs)
    Tape.record(y, inputs: inputs) { dy in
        conv2dBackward(Activation(dy, precision: geometry.precision, layout: geometry.layout), saved.take(), w,
                       geometry, needsInputGrad: needsInputGrad)
    }
    return y
}

private func forwardPrimitive(_ geometry: ConvGeometry) -> Primitive {
    PrimitiveCache.shared.primitive("conv fwd \(geometry)") {
        var desc = forwardDesc(geometry, geometry.algorithm)
        return Primitive(opDesc: &desc, what: "conv fwd \(geometry)")
    }
}

private func forwardDesc(_ geometry: ConvGeometry, _ algorithm: dnnl_alg_kind_t) -> dnnl_convolution_desc_t {
    var desc = dnnl_convolution_desc_t()
    var src = geometry.sourceDesc, weights = geometry.weightsAnyDesc
    var bias = geometry.optionalBiasDesc, dst = geometry.destinationDesc
    dnnlCheck(dnnl_convolution_forward_desc_init(
        &desc, dnnl_forward_training, algorithm, &src, &weights,
        &bias, &dst, geometry.strides, geometry.paddingsLow, geometry.paddingsHigh),
        "conv fwd desc \(geometry)")
    return desc
}

private func backwardDataDesc(_ geometry: ConvGeometry, _ algorithm: dnnl_alg_kind_t) -> dnnl_convolution_desc_t {
    var desc = dnnl_convolution_desc_t()
    var diffSrc = geometry.inputGradDesc, weights = geometry.weightsAnyDesc, diffDst = geometry.outputGradDesc
    dnnlCheck(dnnl_convolution_backward_data_desc_init(
        &desc, algorithm, &diffSrc, &weights, &diffDst,
        geometry.strides, geometry.paddingsLow, geometry.paddingsHigh), "conv bwd data desc \(geometry)")
    return desc
}

private func backwardWeightsDesc(_ geometry: ConvGeometry, _ algorithm: dnnl_alg_kind_t) -> dnnl_convolution_desc_t {
    var desc = dnnl_convolution_desc_t()
    var src = geometry.sourceDesc, diffWeights = geometry.weightGradAnyDesc
    var diffBias = geometry.optionalBiasDesc, diffDst = geometry.outputGradDesc
    dnnlCheck(dnnl_convolution_backward_weights_desc_init(
        &desc, algorithm, &src, &diffWeights, &diffBias, &diffDst,
        geometry.strides, geometry.paddingsLow, geometry.paddingsHigh), "conv bwd weights desc \(geometry)")
    return desc
}

/// Whether oneDNN has a Winograd kernel for this geometry (asked once per geometry).
private func winogradSupported(_ geometry: ConvGeometry) -> Bool {
    winogradSupport.withLock { known in
        let key = geometry.description
        if let answer = known[key] { return answer }
        // All three passes must have the kernel: backward runs with the forward's algorithm.
        let engine = DNNLContext.shared.engine
        var forward = forwardDesc(geometry, dnnl_convolution_winograd)
        var forwardPD: dnnl_primitive_desc_t?
        var answer = dnnl_primitive_desc_create(&forwardPD, &forward, nil, engine, nil) == dnnl_success
        defer { if let forwardPD { dnnl_primitive_desc_destroy(forwardPD) } }
        let backward = [backwardDataDesc(geometry, dnnl_convolution_winograd),
                        backwardWeightsDesc(geometry, dnnl_convolution_winograd)]
        for var desc in backward where answer {
            var pd: dnnl_primitive_desc_t?
            answer = dnnl_primitive_desc_create(&pd, &desc, nil, engine, forwardPD) == dnnl_success
            if let pd { dnnl_primitive_desc_destroy(pd) }
        }
        known[key] = answer
        return answer
    }
}

private let winogradSupport = Mutex<[String: Bool]>([:])

/// Forward primitive, cached by geometry; `x` is in the geometry's layout and precision.
func conv2dForward(_ x: Activation, _ w: Tensor, _ b: Tensor?, _ geometry: ConvGeometry) -> Tensor {
    let primitive = forwardPrimitive(geometry)
    let y = Tensor(uninitialized: geometry.output, layout: geometry.layout)
    let weightsDesc = primitive.memoryDesc(dnnl_query_weights_md)
    let (weights, keep) = WeightLayoutCache.shared.buffer(weightsDesc, w)
    var args = [(DNNL_ARG_SRC, geometry.sourceDesc, x.raw), (DNNL_ARG_WEIGHTS, weightsDesc, weights),
                (DNNL_ARG_DST, geometry.destinationDesc, y.raw)]
    if let b { args.append((DNNL_ARG_BIAS, geometry.biasDesc, b.raw)) }
    primitive.execute(args)
    geometry.countFlops()
    withExtendedLifetime((keep, x)) {}
    return y
}

/// Backward-data (only when `needsInputGrad`) and backward-weights; returns [dx, dw, db]. `dy` and the
/// forward's input `x` are in the geometry's layout and precision.
func conv2dBackward(_ dy: Activation, _ x: Activation, _ w: Tensor, _ geometry: ConvGeometry,
                    needsInputGrad: Bool) -> [Tensor?] {
    let dx = needsInputGrad ? conv2dBackwardData(dy, w, geometry) : nil
    let (dw, db) = conv2dWeightGradients(dy, x, geometry)
    return [dx, dw, db]
}

/// Backward-data: the input gradient [N, C, H, W] (fp32, the geometry's layout) from `dy` (the geometry's layout
/// and precision).
func conv2dBackwardData(_ dy: Activation, _ w: Tensor, _ geometry: ConvGeometry) -> Tensor {
    let hint = forwardPrimitive(geometry)
    let primitive = PrimitiveCache.shared.primitive("conv bwd data \(geometry)") {
        var desc = backwardDataDesc(geometry, geometry.algorithm)
        return Primitive(opDesc: &desc, hint: hint, what: "conv bwd data \(geometry)")
    }
    let result = Tensor(uninitialized: geometry.input, layout: geometry.layout)
    let weightsDesc = primitive.memoryDesc(dnnl_query_weights_md)
    let (weights, keep) = WeightLayoutCache.shared.buffer(weightsDesc, w)
    primitive.execute([(DNNL_ARG_DIFF_DST, geometry.outputGradDesc, dy.raw),
                       (DNNL_ARG_WEIGHTS, weightsDesc, weights),
                       (DNNL_ARG_DIFF_SRC, geometry.inputGradDesc, result.raw)])
    geometry.countFlops()
    withExtendedLifetime((keep, dy)) {}
    return result
}

/// Per-image output pixels up to which bf16 weight gradients run in fp32 instead: oneDNN 2.6's AMX kernel is
/// 1.2–1.7× slower than fp32 on ResNet's 8×6 layer4 and first-deconvolution shapes (and faster on all others).
let bf16WeightGradMaxPixels = 48

/// Backward-weights: [dw, db?] from the forward's input `x` and `dy`, both in the geometry's precision; dw is
/// [O, C, kh, kw], or with `transposed` [C, O, kh, kw] (the layout the sub-pixel deconvolution scatters from). A
/// bf16 geometry with few output pixels per image runs in fp32 on the same bf16-rounded values (converted back):
/// the same products, accumulated in fp32 either way.
func conv2dWeightGradients(_ dy: Activation, _ x: Activation, _ geometry: ConvGeometry,
                           transposed: Bool = false) -> (Tensor, Tensor?) {
    if geometry.precision == .bf16 && geometry.output[2] * geometry.output[3] <= bf16WeightGradMaxPixels {
        return conv2dWeightGradients(Activation(dy.tensor(), precision: .fp32), Activation(x.tensor(), precision: .fp32),
                                     geometry.with(precision: .fp32), transposed: transposed)
    }
    let hint = forwardPrimitive(geometry)
    let primitive = PrimitiveCache.shared.primitive("conv bwd weights \(geometry)") {
        var desc = backwardWeightsDesc(geometry, geometry.algorithm)
        return Primitive(opDesc: &desc, hint: hint, what: "conv bwd weights \(geometry)")
    }
    let w = geometry.weight
    let dw = Tensor(uninitialized: transposed ? [w[1], w[0], w[2], w[3]] : w)
    let dwDesc = memoryDesc(w, transposed ? dnnl_bacd : dnnl_abcd)  // dw's memory as [O, C, kh, kw]
    let diffWeightsDesc = primitive.memoryDesc(dnnl_query_diff_weights_md)
    let (diffWeights, scratch) = outputBuffer(diffWeightsDesc, dw, own: dwDesc)
    var args = [(DNNL_ARG_SRC, geometry.sourceDesc, x.raw), (DNNL_ARG_DIFF_DST, geometry.outputGradDesc, dy.raw),
                (DNNL_ARG_DIFF_WEIGHTS, diffWeightsDesc, diffWeights)]
    let db = geometry.hasBias ? Tensor(uninitialized: [geometry.weight[0]]) : nil
    if let db { args.append((DNNL_ARG_DIFF_BIAS, geometry.biasDesc, db.raw)) }
    primitive.execute(args)
    geometry.countFlops()
    copyBack(diffWeightsDesc, diffWeights, into: dw, own: dwDesc)
    withExtendedLifetime((scratch, x, dy)) {}
    return (dw, db)
}
