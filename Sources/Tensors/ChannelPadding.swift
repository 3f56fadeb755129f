// x[N, C, H, W] ↔ x'[N, Cp, H, W] (NHWC), Cp = C rounded up to a multiple of 16, channels C..<Cp zero.
// oneDNN's NHWC jit kernels want whole 16-channel blocks: batch normalisation with C = 273 or 290 (the
// multi-scale head's paper width) falls back to the generic `nspc_bnorm:any`, 10–30× slower than
// `bnorm_jit` on the padded copy. Per-channel ops give the same values on the real channels either way.
import CDNNL

/// Pads and unpads the channels of NHWC tensors between `channels` and `padded` (the identity when equal).
struct ChannelPadding {
    let channels: Int
    let padded: Int

    /// oneDNN's channel block on AVX-512.
    static let block = 16

    /// Padding to the next multiple of `block` when `enabled`, else none.
    init(channels: Int, enabled: Bool = true) {
        self.channels = channels
        padded = enabled ? (channels + Self.block - 1) / Self.block * Self.block : channels
    }

    var isIdentity: Bool { padded == channels }

    /// The real channels of a padded [N, Cp, H, W] NHWC buffer, as a strided [N, C, H, W] description.
    private func realChannelsDesc(_ shape: [Int]) -> dnnl_memory_desc_t {
        channelSlice([shape[0], channels, shape[2], shape[3]], start: 0, totalChannels: padded, layout: .channelsLast).desc
    }

    /// `x` [N, C, H, W] (any layout) as a channelsLast [N, Cp, H, W] tensor with zero padding channels;
    /// `x` itself when there is no padding. `zeroPadding: false` leaves the padding channels unset (finite or
    /// not) for a per-channel op that only ever reads them to compute padding channels (it saves a pass that
    /// misses the cache on every pixel).
    func pad(_ x: Tensor, zeroPadding: Bool = true) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == channels, "ChannelPadding.pad: \(x.shape), C = \(channels)")
        if isIdentity { return x }
        let out = Tensor(uninitialized: [x.shape[0], padded, x.shape[2], x.shape[3]], layout: .channelsLast)
        reorder(from: memoryDesc(of: x), x.raw, to: realChannelsDesc(x.shape), out.raw)
        if zeroPadding { fillChannels(out, from: channels, with: 0) }
        return out
    }

    /// The real channels of a channelsLast [N, Cp, H, W] tensor as a channelsLast [N, C, H, W] tensor.
    func unpad(_ x: Tensor) -> Tensor {
        if isIdentity { return x }
        precondition(x.shape.count == 4 && x.shape[1] == padded && x.layout == .channelsLast,
                     "ChannelPadding.unpad: \(x.shape) \(x.layout), Cp = \(padded)")
        let shape = [x.shape[0], channels, x.shape[2], x.shape[3]]
        let out = Tensor(uninitialized: shape, layout: .channelsLast)
        reorder(from: realChannelsDesc(shape), x.raw, to: memoryDesc(of: out), out.raw)
        return out
    }

    /// A per-channel vector [C] extended to [Cp] with `fill` (always a new tensor).
    func pad(vector v: Tensor, fill: Float) -> Tensor {
        precondition(v.shape == [channels], "ChannelPadding.pad: vector \(v.shape), C = \(channels)")
        let out = Tensor(repeating: fill, shape: [padded])
        out.pointer.update(from: v.pointer, count: channels)
        return out
    }

    /// The first C entries of a per-channel vector [Cp].
    func unpad(vector v: Tensor) -> Tensor {
        if isIdentity { return v }
        precondition(v.shape == [padded], "ChannelPadding.unpad: vector \(v.shape), Cp = \(padded)")
        let out = Tensor(uninitialized: [channels])
        out.pointer.update(from: v.pointer, count: channels)
        return out
    }
}

/// Sets channels `start..<C` of every pixel of the channelsLast tensor `x` [N, C, H, W] to `value`.
func fillChannels(_ x: Tensor, from start: Int, with value: Float) {
    precondition(x.shape.count == 4 && x.layout == .channelsLast, "fillChannels: \(x.shape) \(x.layout)")
    let channels = x.shape[1]
    guard start < channels else { return }
    for p in 0..<(x.count / channels) {
        (x.pointer + p * channels + start).update(repeating: value, count: channels - start)
    }
}
