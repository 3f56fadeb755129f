// y[N,O,H',W'] = conv_transpose(x[N,C,H,W], w[C,O,kh,kw])   — torch.nn.functional.conv_transpose2d
// H' = (H − 1)·stride − 2·padding + kh (output_padding 0, groups 1, no bias in SimpleBaseline's head;
// bias optional). oneDNN's deconvolution with NHWC data falls back to `ref:` (~1 GFLOP/s, DESIGN §4),
// so the primitive picks its own (blocked) layouts and data are reordered in and out.
import CDNNL

struct DeconvGeometry: CustomStringConvertible {
    let input: [Int]
    let weight: [Int]   // PyTorch [C_in, C_out, kh, kw]
    let stride: Int
    let padding: Int
    let hasBias: Bool

    var output: [Int] {
        [input[0], weight[1],
         (input[2] - 1) * stride - 2 * padding + weight[2],
         (input[3] - 1) * stride - 2 * padding + weight[3]]
    }
    var description: String { "\(input) w\(weight) s\(stride) p\(padding) b\(hasBias)" }

    /// oneDNN's weights dims are [O, I, kh, kw]; PyTorch's [I, O, kh, kw] memory is tag `bacd` of them.
    var weightsDims: [Int] { [weight[1], weight[0], weight[2], weight[3]] }
    var plainWeightsDesc: dnnl_memory_desc_t { memoryDesc(weightsDims, dnnl_bacd) }
    var biasDesc: dnnl_memory_desc_t { hasBias ? memoryDesc([weight[1]], dnnl_a) : dnnl_memory_desc_t() }
    var strides: [Int64] { [Int64(stride), Int64(stride)] }
    var paddings: [Int64] { [Int64(padding), Int64(padding)] }

    /// Counts one pass: every input pixel meets every kernel tap once.
    func countFlops() {
        FlopCounter.addConvolution(batch: input[0], outChannels: weight[1], outHeight: input[2], outWidth: input[3],
                                   inChannels: weight[0], kernelHeight: weight[2], kernelWidth: weight[3])
    }

    func anyDescs() -> (src: dnnl_memory_desc_t, weights: dnnl_memory_desc_t, dst: dnnl_memory_desc_t) {
        (memoryDesc(input, dnnl_format_tag_any), memoryDesc(weightsDims, dnnl_format_tag_any),
         memoryDesc(output, dnnl_format_tag_any))
    }
}

/// Transposed 2-D convolution with PyTorch semantics (weight `[C_in, C_out, kh, kw]`); one tape entry.
/// Kernel 4, stride 2, padding 1 without bias (SimpleBaseline's head) runs on convolution primitives
/// (`HeadDeconvolution`) unless `viaConvolutions` is false; everything else uses oneDNN's deconvolution primitive.
public func convTranspose2d(_ x: Tensor, _ w: Tensor, bias b: Tensor? = nil, stride: Int = 1,
                            padding: Int = 0, viaConvolutions: Bool = true) -> Tensor {
    precondition(x.shape.count == 4 && w.shape.count == 4 && x.shape[1] == w.shape[0],
                 "convTranspose2d: input \(x.shape) and weight \(w.shape) do not match")
    if viaConvolutions && isHeadDeconvolution(weight: w.shape, stride: stride, padding: padding, hasBias: b != nil) {
        let deconv = headDeconvolution(input: x.shape, weight: w.shape, precision: Tape.autocast)
        let weight = w.withLayout(.contiguous)
        let source = deconv.operand(x)
        let y = deconv.forward(source, weight)
        let needsInputGrad = x.requiresGrad  // read here: a closure that captured x would keep it alive
        let inputs = [x, w]
        let saved = Saved(operand: source, of: x, recordedWith: inputs)
        Tape.record(y, inputs: inputs) { dy in
            deconv.backward(dy, saved.take(), weight, needsInputGrad: needsInputGrad)
        }
        return y
    }
    let geometry = DeconvGeometry(input: x.shape, weight: w.shape, stride: stride, padding: padding,
                                  hasBias: b != nil)
    let weight = w.withLayout(.contiguous)
    let y = convTranspose2dForward(x, weight, b, geometry)
    Tape.record(y, inputs: [x, w, b]) { dy in
        convTranspose2dBackward(dy, x, weight, geometry, needsInputGrad: x.requiresGrad)
    }
    return y
}

private func forwardPrimitive(_ geometry: DeconvGeometry) -> Primitive {
    PrimitiveCache.shared.primitive("deconv fwd \(geometry)") {
        var desc = dnnl_deconvolution_desc_t()
        var (src, weights, dst) = geometry.anyDescs()
        var bias = geometry.biasDesc
        dnnlCheck(dnnl_deconvolution_forward_desc_init(
            &desc, dnnl_forward_training, dnnl_deconvolution_direct, &src, &weights, &bias, &dst,
            geometry.strides, geometry.paddings, geometry.paddings), "deconv fwd desc \(geometry)")
        return Primitive(opDesc: &desc, what: "deconv fwd \(geometry)")
    }
}

func convTranspose2dForward(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ geometry: DeconvGeometry) -> Tensor {
    let primitive = forwardPrimitive(geometry)
    let y = Tensor(uninitialized: geometry.output, layout: .channelsLast)
    let srcDesc = primitive.memoryDesc(dnnl_query_src_md)
    let weightsDesc = primitive.memoryDesc(dnnl_query_weights_md)
    let dstDesc = primitive.memoryDesc(dnnl_query_dst_md)
    let (src, keepSrc) = bufferMatching(srcDesc, x)
    let (weights, keepWeights) = WeightLayoutCache.shared.buffer(weightsDesc, w, own: geometry.plainWeightsDesc)
    let (dst, keepDst) = outputBuffer(dstDesc, y)
    var args = [(DNNL_ARG_SRC, srcDesc, src), (DNNL_ARG_WEIGHTS, weightsDesc, weights), (DNNL_ARG_DST, dstDesc, dst)]
    if let b { args.append((DNNL_ARG_BIAS, geometry.biasDesc, b.raw)) }
    primitive.execute(args)
    geometry.countFlops()
    copyBack(dstDesc, dst, into: y)
    withExtendedLifetime((keepSrc, keepWeights, keepDst)) {}
    return y
}

/// Backward-data (only when `needsInputGrad`) and backward-weights; returns [dx, dw, db].
func convTranspose2dBackward(_ dy: Tensor, _ x: Tensor, _ w: Tensor, _ geometry: DeconvGeometry,
                             needsInputGrad: Bool) -> [Tensor?] {
    let hint = forwardPrimitive(geometry)
    var dx: Tensor?
    if needsInputGrad {
        let primitive = PrimitiveCache.shared.primitive("deconv bwd data \(geometry)") {
            var desc = dnnl_deconvolution_desc_t()
            var (src, weights, dst) = geometry.anyDescs()
            dnnlCheck(dnnl_deconvolution_backward_data_desc_init(
                &desc, dnnl_deconvolution_direct, &src, &weights, &dst,
                geometry.strides, geometry.paddings, geometry.paddings), "deconv bwd data desc \(geometry)")
            return Primitive(opDesc: &desc, hint: hint, what: "deconv bwd data \(geometry)")
        }
        let result = Tensor(uninitialized: geometry.input, layout: .channelsLast)
        let diffDstDesc = primitive.memoryDesc(dnnl_query_diff_dst_md)
        let weightsDesc = primitive.memoryDesc(dnnl_query_weights_md)
        let diffSrcDesc = primitive.memoryDesc(dnnl_query_diff_src_md)
        let (diffDst, keepDiffDst) = bufferMatching(diffDstDesc, dy)
        let (weights, keepWeights) = WeightLayoutCache.shared.buffer(weightsDesc, w, own: geometry.plainWeightsDesc)
        let (diffSrc, keepDiffSrc) = outputBuffer(diffSrcDesc, result)
        primitive.execute([(DNNL_ARG_DIFF_DST, diffDstDesc, diffDst), (DNNL_ARG_WEIGHTS, weightsDesc, weights),
                           (DNNL_ARG_DIFF_SRC, diffSrcDesc, diffSrc)])
        geometry.countFlops()
        copyBack(diffSrcDesc, diffSrc, into: result)
        withExtendedLifetime((keepDiffDst, keepWeights, keepDiffSrc)) {}
        dx = result
    }
    let primitive = PrimitiveCache.shared.primitive("deconv bwd weights \(geometry)") {
        var desc = dnnl_deconvolution_desc_t()
        var (src, weights, dst) = geometry.anyDescs()
        var bias = geometry.biasDesc
        dnnlCheck(dnnl_deconvolution_backward_weights_desc_init(
            &desc, dnnl_deconvolution_direct, &src, &weights, &bias, &dst,
            geometry.strides, geometry.paddings, geometry.paddings), "deconv bwd weights desc \(geometry)")
        return Primitive(opDesc: &desc, hint: hint, what: "deconv bwd weights \(geometry)")
    }
    let dw = Tensor(uninitialized: geometry.weight)
    let srcDesc = primitive.memoryDesc(dnnl_query_src_md)
    let diffDstDesc = primitive.memoryDesc(dnnl_query_diff_dst_md)
    let diffWeightsDesc = primitive.memoryDesc(dnnl_query_diff_weights_md)
    let (src, keepSrc) = bufferMatching(srcDesc, x)
    let (diffDst, keepDiffDst) = bufferMatching(diffDstDesc, dy)
    let (diffWeights, keepDiffWeights) = outputBuffer(diffWeightsDesc, dw, own: geometry.plainWeightsDesc)
    var args = [(DNNL_ARG_SRC, srcDesc, src), (DNNL_ARG_DIFF_DST, diffDstDesc, diffDst),
                (DNNL_ARG_DIFF_WEIGHTS, diffWeightsDesc, diffWeights)]
    let db = geometry.hasBias ? Tensor(uninitialized: [geometry.weight[1]]) : nil
    if let db { args.append((DNNL_ARG_DIFF_BIAS, geometry.biasDesc, db.raw)) }
    primitive.execute(args)
    geometry.countFlops()
    copyBack(diffWeightsDesc, diffWeights, into: dw, own: geometry.plainWeightsDesc)
    withExtendedLifetime((keepSrc, keepDiffDst, keepDiffWeights)) {}
    return [dx, dw, db]
}
