// y[N, C1+…+Ck, H, W] = [x1, …, xk] along channels   — torch.cat(dim=1)
// Backward: each input gets its channel slice of dy.

/// Concatenates 4-D tensors along channels, in order; the result has the first input's layout.
public func concatChannels(_ inputs: [Tensor]) -> Tensor {
    precondition(!inputs.isEmpty, "concatChannels: no inputs")
    let first = inputs[0]
    let (n, h, w) = (first.shape[0], first.shape[2], first.shape[3])
    precondition(inputs.allSatisfy { $0.shape.count == 4 && $0.shape[0] == n && $0.shape[2] == h && $0.shape[3] == w },
                 "concatChannels: shapes \(inputs.map(\.shape)) differ outside the channel axis")
    let channels = inputs.map { $0.shape[1] }
    let layout = first.layout
    let y = concatChannelsForward(inputs.map { $0.withLayout(layout) }, channels: channels, layout: layout)
    Tape.record(y, inputs: inputs) { dy in splitChannels(dy.withLayout(layout), channels: channels) }
    return y
}

/// Copies channel blocks: in NHWC a pixel's channels are contiguous, in NCHW an image's planes are.
private func forEachBlock(shape: [Int], channels: [Int], layout: Layout,
                          _ body: (_ part: Int, _ partOffset: Int, _ wholeOffset: Int, _ length: Int) -> Void) {
    let (n, h, w) = (shape[0], shape[2], shape[3])
    let total = channels.reduce(0, +)
    let (outer, inner) = layout == .channelsLast ? (n * h * w, 1) : (n, h * w)
    for o in 0..<outer {
        var start = 0
        for (part, c) in channels.enumerated() {
            body(part, o * c * inner, (o * total + start) * inner, c * inner)
            start += c
        }
    }
}

func concatChannelsForward(_ inputs: [Tensor], channels: [Int], layout: Layout) -> Tensor {
    let s = inputs[0].shape
    let y = Tensor(uninitialized: [s[0], channels.reduce(0, +), s[2], s[3]], layout: layout)
    forEachBlock(shape: s, channels: channels, layout: layout) { part, from, to, length in
        (y.pointer + to).update(from: inputs[part].pointer + from, count: length)
    }
    return y
}

/// The inverse of `concatChannels`: slices of `y` with the given channel counts.
func splitChannels(_ y: Tensor, channels: [Int]) -> [Tensor?] {
    let s = y.shape
    let parts = channels.map { Tensor(uninitialized: [s[0], $0, s[2], s[3]], layout: y.layout) }
    forEachBlock(shape: s, channels: channels, layout: y.layout) { part, to, from, length in
        (parts[part].pointer + to).update(from: y.pointer + from, count: length)
    }
    return parts
}
