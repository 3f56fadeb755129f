// y[N,C,H',W'] = max over k×k windows of x (stride s, padding p with −∞)   — inference only, no tape
// The max-pooling of `Ops/MaxPool2d.swift` on an fp32 or bf16 activation, the result in its layout
// (forward_inference: no workspace, since nothing runs backward).
import CDNNL

/// Max pooling with PyTorch semantics (ceil_mode false, dilation 1) on an inference activation.
public func maxPool2d(_ x: Activation, kernelSize: Int, stride: Int, padding: Int) -> Activation {
    let out = [x.shape[0], x.shape[1],
               (x.shape[2] + 2 * padding - kernelSize) / stride + 1,
               (x.shape[3] + 2 * padding - kernelSize) / stride + 1]
    let y = Activation(uninitialized: out, precision: x.precision, layout: x.layout)
    let key = "maxpool inference \(x.shape) \(x.precision) \(x.layout) k\(kernelSize) s\(stride) p\(padding)"
    let dims = { (v: Int) in [Int64(v), Int64(v)] }
    let primitive = PrimitiveCache.shared.primitive(key) {
        var desc = dnnl_pooling_v2_desc_t()
        var src = x.desc, dst = y.desc
        dnnlCheck(dnnl_pooling_v2_forward_desc_init(
            &desc, dnnl_forward_inference, dnnl_pooling_max, &src, &dst, dims(stride), dims(kernelSize),
            dims(0), dims(padding), dims(padding)), "maxpool inference desc")
        return Primitive(opDesc: &desc, what: key)
    }
    primitive.execute([(DNNL_ARG_SRC, x.desc, x.raw), (DNNL_ARG_DST, y.desc, y.raw)])
    return y
}
