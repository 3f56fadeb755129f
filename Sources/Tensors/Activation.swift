// Activations stored NHWC (fp32 training also oneDNN's blocked nChw16c) with fp32 or bf16 elements, logical
// shape NCHW (PyTorch's). No tape, no gradients:
// the fused inference ops (`Inference/`) read and write them, and the training convolutions keep their
// operands in them (a bf16 copy under `withAutocast(.bf16)`, the tensor's own memory in fp32). `Tensor`
// values go in and out at the edges (`Activation(tensor, precision:)`, `tensor()`).
import CDNNL

/// The element type of activations and convolution weights (accumulation is always fp32).
public enum Precision: String, Sendable, Codable, CaseIterable {
    case fp32, bf16

    var dataType: dnnl_data_type_t { self == .fp32 ? dnnl_f32 : dnnl_bf16 }
    var byteWidth: Int { self == .fp32 ? 4 : 2 }

    /// Whether this CPU computes convolutions in this precision natively (bf16: `bf16ConvolutionImplementation()`).
    public var isAvailable: Bool { self == .fp32 || bf16ConvolutionImplementation() != nil }
}

/// An activation [N, C, H, W] of `precision` elements stored NHWC (or, fp32 in training, oneDNN's `blocked`
/// nChw16c); fp32 ones share memory with `Tensor`s.
public final class Activation: @unchecked Sendable {
    public let shape: [Int]
    public let precision: Precision
    /// `channelsLast` or `blocked`.
    public let layout: Layout
    let storage: Storage

    var raw: UnsafeMutableRawPointer { UnsafeMutableRawPointer(storage.pointer) }
    var elementCount: Int { shape.reduce(1, *) }
    /// The oneDNN description of the stored memory (`layout`, `precision`).
    var desc: dnnl_memory_desc_t { memoryDesc(shape, formatTag(rank: 4, layout), precision.dataType) }

    /// An activation whose memory is not initialised (ops overwrite every element).
    init(uninitialized shape: [Int], precision: Precision, layout: Layout = .channelsLast) {
        precondition(shape.count == 4 && layout != .contiguous && layout.holds(channels: shape[1]),
                     "Activation: shape \(shape) is not 4-D or cannot be stored \(layout)")
        self.shape = shape
        self.precision = precision
        self.layout = layout
        storage = Storage(count: (shape.reduce(1, *) * precision.byteWidth + 3) / 4)
    }

    private init(sharing storage: Storage, shape: [Int], layout: Layout) {
        self.shape = shape
        precision = .fp32
        self.layout = layout
        self.storage = storage
    }

    /// `tensor` (4-D, any layout) as `precision` elements stored in `layout`; shares the tensor's memory when it
    /// is already fp32 in that layout.
    public convenience init(_ tensor: Tensor, precision: Precision, layout: Layout = .channelsLast) {
        precondition(tensor.shape.count == 4, "Activation: tensor of shape \(tensor.shape) is not 4-D")
        if precision == .fp32 && tensor.layout == layout {
            self.init(sharing: tensor.storage, shape: tensor.shape, layout: layout)
            return
        }
        self.init(uninitialized: tensor.shape, precision: precision, layout: layout)
        reorder(from: memoryDesc(of: tensor), tensor.raw, to: desc, raw)
    }

    /// The same values stored in `layout` (self when already so).
    public func withLayout(_ layout: Layout) -> Activation {
        if layout == self.layout { return self }
        let out = Activation(uninitialized: shape, precision: precision, layout: layout)
        reorder(from: desc, raw, to: out.desc, out.raw)
        return out
    }

    /// The values as an fp32 tensor in this layout (sharing this memory when fp32, converted from bf16).
    public func tensor() -> Tensor {
        if precision == .fp32 { return Tensor(sharing: storage, shape: shape, layout: layout) }
        let out = Tensor(uninitialized: shape, layout: layout)
        reorder(from: desc, raw, to: memoryDesc(of: out), out.raw)
        return out
    }
}

extension Tensor {
    /// This 4-D tensor as a convolution operand in `precision`: fp32 shares the tensor's memory when it is
    /// channelsLast or blocked (a contiguous one is copied NHWC); bf16 is an NHWC copy made once and kept with
    /// the tensor, so the ops that read one activation (a residual block's first convolution and its shortcut,
    /// the ReLU before them) share it.
    func operand(_ precision: Precision) -> Activation {
        guard precision == .bf16 else {
            return Activation(self, precision: precision, layout: layout == .blocked ? .blocked : .channelsLast)
        }
        if let cached = bf16Operand, cached.version == version { return cached.activation }
        let copy = Activation(self, precision: .bf16)
        bf16Operand = (version, copy)
        return copy
    }
}
