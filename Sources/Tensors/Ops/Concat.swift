// y[N, C1+…+Ck, H, W] = [x1, …, xk] along channels   — torch.cat(dim=1)
// Backward: each input gets its channel slice of dy. Both directions are oneDNN reorders between a part
// and its channel slice of the whole (multithreaded, any input layout).
import CDNNL

/// Concatenates 4-D tensors along channels, in order; the result has the first input's layout (channelsLast
/// for a blocked one: the channel counts of the parts need not be multiples of 16).
public func concatChannels(_ inputs: [Tensor]) -> Tensor {
    precondition(!inputs.isEmpty, "concatChannels: no inputs")
    let first = inputs[0]
    let (n, h, w) = (first.shape[0], first.shape[2], first.shape[3])
    precondition(inputs.allSatisfy { $0.shape.count == 4 && $0.shape[0] == n && $0.shape[2] == h && $0.shape[3] == w },
                 "concatChannels: shapes \(inputs.map(\.shape)) differ outside the channel axis")
    let channels = inputs.map { $0.shape[1] }
    let layout = first.layout == .blocked ? Layout.channelsLast : first.layout
    let y = concatChannelsForward(inputs, channels: channels, layout: layout)
    Tape.record(y, inputs: inputs) { dy in splitChannels(dy, channels: channels) }
    return y
}

/// Calls `body(part, slice)` with each part's channel slice of a tensor of `shape` with `channels` parts.
private func forEachSlice(_ shape: [Int], channels: [Int], layout: Layout,
                          _ body: (_ part: Int, _ slice: (desc: dnnl_memory_desc_t, offset: Int)) -> Void) {
    var start = 0
    for (part, c) in channels.enumerated() {
        body(part, channelSlice([shape[0], c, shape[2], shape[3]], start: start, totalChannels: shape[1],
                                layout: layout))
        start += c
    }
}

func concatChannelsForward(_ inputs: [Tensor], channels: [Int], layout: Layout) -> Tensor {
    let s = inputs[0].shape
    let y = Tensor(uninitialized: [s[0], channels.reduce(0, +), s[2], s[3]], layout: layout)
    forEachSlice(y.shape, channels: channels, layout: layout) { part, slice in
        reorder(from: memoryDesc(of: inputs[part]), inputs[part].raw, to: slice.desc, y.raw + 4 * slice.offset)
    }
    return y
}

/// The inverse of `concatChannels`: slices of `y` with the given channel counts, in `y`'s layout (channelsLast
/// for a blocked `y`, e.g. a gradient that came through an add with a blocked tensor).
func splitChannels(_ y: Tensor, channels: [Int]) -> [Tensor?] {
    let y = y.layout == .blocked ? y.withLayout(.channelsLast) : y
    defer { withExtendedLifetime(y) {} }  // raw pointers below outlive the last use of the tensor
    let s = y.shape
    let parts = channels.map { Tensor(uninitialized: [s[0], $0, s[2], s[3]], layout: y.layout) }
    forEachSlice(s, channels: channels, layout: y.layout) { part, slice in
        reorder(from: slice.desc, y.raw + 4 * slice.offset, to: memoryDesc(of: parts[part]), parts[part].raw)
    }
    return parts
}
