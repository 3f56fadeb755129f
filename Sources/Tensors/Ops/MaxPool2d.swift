// y[N,C,H',W'] = max over k×k windows of x (stride s, padding p with −∞)   — torch.nn.functional.max_pool2d
// H' = (H + 2p − k) / s + 1 (floor mode). Backward routes dy to the arg-max of each window
// (oneDNN's workspace records it).
import CDNNL

/// Max pooling with PyTorch semantics (ceil_mode false, dilation 1); one tape entry.
public func maxPool2d(_ x: Tensor, kernelSize: Int, stride: Int, padding: Int) -> Tensor {
    precondition(x.shape.count == 4, "maxPool2d: input \(x.shape) is not 4-D")
    let out = [x.shape[0], x.shape[1],
               (x.shape[2] + 2 * padding - kernelSize) / stride + 1,
               (x.shape[3] + 2 * padding - kernelSize) / stride + 1]
    let key = "maxpool \(layoutKey(x)) k\(kernelSize) s\(stride) p\(padding)"
    let srcDesc = memoryDesc(of: x)
    let dstDesc = memoryDesc(out, formatTag(rank: 4, x.layout))
    let dims = { (v: Int) in [Int64(v), Int64(v)] }
    let forward = PrimitiveCache.shared.primitive("\(key) fwd") {
        var desc = dnnl_pooling_v2_desc_t()
        var src = srcDesc, dst = dstDesc
        dnnlCheck(dnnl_pooling_v2_forward_desc_init(
            &desc, dnnl_forward_training, dnnl_pooling_max, &src, &dst, dims(stride), dims(kernelSize),
            dims(0), dims(padding), dims(padding)), "maxpool fwd desc")
        return Primitive(opDesc: &desc, what: "\(key) fwd")
    }
    let y = Tensor(uninitialized: out, layout: x.layout)
    let workspaceDesc = forward.memoryDesc(dnnl_query_workspace_md)
    let workspace = Storage(count: (memoryDescSize(workspaceDesc) + 3) / 4)
    forward.execute([(DNNL_ARG_SRC, srcDesc, x.raw), (DNNL_ARG_DST, dstDesc, y.raw),
                     (DNNL_ARG_WORKSPACE, workspaceDesc, UnsafeMutableRawPointer(workspace.pointer))])
    let (shape, layout) = (x.shape, x.layout)  // not x: the backward needs only the workspace
    Tape.record(y, inputs: [x]) { dy in
        let backward = PrimitiveCache.shared.primitive("\(key) bwd") {
            var desc = dnnl_pooling_v2_desc_t()
            var src = srcDesc, dst = dstDesc
            dnnlCheck(dnnl_pooling_v2_backward_desc_init(
                &desc, dnnl_pooling_max, &src, &dst, dims(stride), dims(kernelSize),
                dims(0), dims(padding), dims(padding)), "maxpool bwd desc")
            return Primitive(opDesc: &desc, hint: forward, what: "\(key) bwd")
        }
        let dy = dy.withLayout(layout)
        defer { withExtendedLifetime(dy) {} }  // raw pointers below outlive the last use of the tensor
        let dx = Tensor(uninitialized: shape, layout: layout)
        backward.execute([(DNNL_ARG_DIFF_DST, dstDesc, dy.raw), (DNNL_ARG_DIFF_SRC, srcDesc, dx.raw),
                          (DNNL_ARG_WORKSPACE, workspaceDesc, UnsafeMutableRawPointer(workspace.pointer))])
        return [dx]
    }
    return y
}
