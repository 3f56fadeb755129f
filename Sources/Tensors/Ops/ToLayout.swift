// y = x stored in another layout, the same values   — x.contiguous(memory_format=torch.channels_last)
// Backward: dx = dy stored in x's layout.

/// `x` in `layout` (x itself when already so), with its tape entry: how a network moves its activations into
/// and out of a stretch that runs `blocked`.
public func toLayout(_ x: Tensor, _ layout: Layout) -> Tensor {
    if x.layout == layout || x.shape.count != 4 { return x }
    let y = x.withLayout(layout)
    let source = x.layout  // not x: the closure must not keep it alive
    Tape.record(y, inputs: [x]) { dy in [dy.withLayout(source)] }
    return y
}
