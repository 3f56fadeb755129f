// A float32 tensor with a logical NCHW shape (PyTorch's) and a physical layout chosen by the engine.
import CDNNL
import Foundation
import Synchronization

/// How a tensor's elements are stored. The logical shape is always PyTorch's (`[N, C, H, W]` for
/// images); `channelsLast` stores a 4-D tensor as NHWC, which oneDNN's convolutions take at every boundary;
/// `blocked` is oneDNN's own nChw16c, what its AVX-512 training kernels run fastest on.
public enum Layout: Sendable, Equatable, CustomStringConvertible {
    /// Row-major in the logical order (NCHW for 4-D).
    case contiguous
    /// NHWC for a 4-D tensor.
    case channelsLast
    /// nChw16c for a 4-D tensor whose C is a multiple of 16: [N, C/16, H, W, 16], the same element count.
    case blocked

    /// The channel block of `blocked`.
    public static let channelBlock = 16

    public var description: String {
        switch self {
        case .contiguous: return "contiguous"
        case .channelsLast: return "channelsLast"
        case .blocked: return "blocked"
        }
    }

    /// Whether oneDNN on this CPU has jit kernels for `blocked` (nChw16c is AVX-512's block).
    public var isAvailable: Bool {
        guard self == .blocked else { return true }
        let avx512 = dnnl_cpu_isa_avx512_core.rawValue
        return dnnl_get_effective_cpu_isa().rawValue & avx512 == avx512
    }

    /// Whether a 4-D tensor with `channels` channels can be stored in this layout.
    public func holds(channels: Int) -> Bool { self != .blocked || channels % Self.channelBlock == 0 }
}

/// A float32 tensor. Shapes and element order at every public boundary are PyTorch's (NCHW, C order).
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let layout: Layout
    let storage: Storage
    /// Whether backward computes a gradient for this tensor (leaves) or through it (op outputs).
    public var requiresGrad = false
    /// The accumulated gradient of a leaf after `backward`, in the leaf's logical shape.
    public var grad: Tensor?
    /// Bumped by every public write (`assign`, `withUnsafeMutableBufferPointer`) and by training-mode
    /// `batchNorm2d` on its running statistics, so that cached copies of a weight in a primitive's layout
    /// and `InferencePlan`s can tell they are stale.
    public internal(set) var version = 0
    /// Unique for the life of the process (unlike the object's address, never reused): the tape names
    /// tensors by it without keeping them alive.
    let id = nextTensorID()
    /// The bf16 copy `operand(.bf16)` made, with the version it was made from.
    var bf16Operand: (version: Int, activation: Activation)?
    /// How backward recomputes this op output instead of keeping it (`withRecomputation`); held by the tape entry
    /// of the op that made it and by the users that reserved it.
    weak var rebuild: Rebuild?

    /// Number of elements.
    public var count: Int { storage.count }
    var pointer: UnsafeMutablePointer<Float> { storage.pointer }
    var raw: UnsafeMutableRawPointer { UnsafeMutableRawPointer(storage.pointer) }

    /// A tensor whose memory is not initialised (ops overwrite every element).
    init(uninitialized shape: [Int], layout: Layout = .contiguous) {
        precondition(layout == .contiguous || (shape.count == 4 && layout.holds(channels: shape[1])),
                     "\(layout) needs a 4-D shape (blocked: C a multiple of 16), got \(shape)")
        self.shape = shape
        self.layout = layout
        storage = Storage(count: shape.reduce(1, *))
    }

    /// A tensor over existing memory (an fp32 inference activation's), sharing it.
    init(sharing storage: Storage, shape: [Int], layout: Layout) {
        precondition(storage.count == shape.reduce(1, *), "Tensor: \(storage.count) floats for shape \(shape)")
        self.shape = shape
        self.layout = layout
        self.storage = storage
    }

    /// A tensor filled with `value`.
    public convenience init(repeating value: Float, shape: [Int], layout: Layout = .contiguous) {
        self.init(uninitialized: shape, layout: layout)
        pointer.update(repeating: value, count: count)
    }

    /// A zero tensor.
    public convenience init(zeros shape: [Int], layout: Layout = .contiguous) {
        self.init(repeating: 0, shape: shape, layout: layout)
    }

    /// A contiguous tensor holding `values` in logical (C, NCHW) order.
    public convenience init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "Tensor: \(values.count) values for shape \(shape)")
        self.init(uninitialized: shape)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A scalar (shape `[]`).
    public convenience init(scalar: Float) {
        self.init(shape: [], values: [scalar])
    }

    /// The elements in logical (C, NCHW) order.
    public func toArray() -> [Float] {
        let plain = withLayout(.contiguous)
        return withExtendedLifetime(plain) { Array(UnsafeBufferPointer(start: plain.pointer, count: plain.count)) }
    }

    /// The single element of a one-element tensor.
    public func item() -> Float {
        precondition(count == 1, "item() on a tensor of shape \(shape)")
        return pointer[0]
    }

    /// The same values stored in `layout` (self when already so). Not recorded on the tape.
    public func withLayout(_ target: Layout) -> Tensor {
        if target == layout || shape.count != 4 { return self }
        let out = Tensor(uninitialized: shape, layout: target)
        reorder(from: memoryDesc(of: self), raw, to: memoryDesc(of: out), out.raw)
        return out
    }

    /// A copy with its own memory, same layout, not on the tape.
    public func copy() -> Tensor {
        let out = Tensor(uninitialized: shape, layout: layout)
        out.pointer.update(from: pointer, count: count)
        return out
    }

    /// Overwrites this tensor's elements with `source`'s (same logical shape; layouts may differ).
    public func assign(_ source: Tensor) {
        precondition(source.shape == shape, "assign: shape \(source.shape) into \(shape)")
        let s = source.withLayout(layout)
        withExtendedLifetime(s) { pointer.update(from: s.pointer, count: count) }
        version += 1
    }

    /// Direct access to the stored elements (in `layout` order).
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        version += 1
        return try body(UnsafeMutableBufferPointer(start: pointer, count: count))
    }
}

/// Copies between two memory descriptions of the same logical tensor with a cached reorder primitive.
func reorder(from sourceDesc: dnnl_memory_desc_t, _ source: UnsafeMutableRawPointer,
             to targetDesc: dnnl_memory_desc_t, _ target: UnsafeMutableRawPointer) {
    let key = "reorder \(descriptorKey(sourceDesc)) \(descriptorKey(targetDesc))"
    let primitive = PrimitiveCache.shared.primitive(key) {
        var pd: dnnl_primitive_desc_t?
        var s = sourceDesc, t = targetDesc
        let engine = DNNLContext.shared.engine
        withUserScratchpad(nil) { attr in
            dnnlCheck(dnnl_reorder_primitive_desc_create(&pd, &s, engine, &t, engine, attr), "reorder")
        }
        return Primitive(descriptor: pd!, what: "reorder")
    }
    primitive.execute([(DNNL_ARG_FROM, sourceDesc, source), (DNNL_ARG_TO, targetDesc, target)])
}

/// A buffer holding `tensor` in the layout a primitive asked for (`desc`): the tensor's own memory
/// when that is already the layout, else a reordered copy kept alive by the returned storage.
/// `own` describes the tensor's memory (default: its shape and layout).
func bufferMatching(_ desc: dnnl_memory_desc_t, _ tensor: Tensor,
                    own: dnnl_memory_desc_t? = nil) -> (UnsafeMutableRawPointer, Storage?) {
    let own = own ?? memoryDesc(of: tensor)
    if memoryDescEqual(own, desc) { return (tensor.raw, nil) }
    let storage = Storage(count: (memoryDescSize(desc) + 3) / 4)
    reorder(from: own, tensor.raw, to: desc, UnsafeMutableRawPointer(storage.pointer))
    return (UnsafeMutableRawPointer(storage.pointer), storage)
}

/// Scratch memory for a primitive output in layout `desc`: the tensor's own memory when that is
/// already the layout (`own`, default its shape and layout), else a new buffer to `copyBack` from.
func outputBuffer(_ desc: dnnl_memory_desc_t, _ tensor: Tensor,
                  own: dnnl_memory_desc_t? = nil) -> (UnsafeMutableRawPointer, Storage?) {
    let own = own ?? memoryDesc(of: tensor)
    if memoryDescEqual(own, desc) { return (tensor.raw, nil) }
    let storage = Storage(count: (memoryDescSize(desc) + 3) / 4)
    return (UnsafeMutableRawPointer(storage.pointer), storage)
}

/// Copies derived from weights (reordered into a primitive's layout, or rearranged as the sub-pixel
/// deconvolution's phase kernels), reused while the weight is unchanged (same object, same `version`):
/// inference derives each once instead of on every call. Copies of changed or freed weights are dropped at the
/// next miss: after an optimizer step, the first convolution of the next forward frees every copy of the old
/// weights (228 MiB for res50 in training, half of which backward would replace only later).
final class WeightLayoutCache: @unchecked Sendable {
    static let shared = WeightLayoutCache()
    private struct Entry {
        weak var tensor: Tensor?
        let version: Int
        let value: AnyObject
        /// Whether the weight is alive and unchanged since the copy.
        var isCurrent: Bool { tensor.map { $0.version == version } ?? false }
    }
    private var entries: [String: Entry] = [:]
    private let lock = NSLock()

    /// The value derived from `weight` under `key`, made by `make` when missing or stale.
    func derived<T: AnyObject>(_ weight: Tensor, key: String, make: () -> T) -> T {
        let fullKey = "\(ObjectIdentifier(weight)) \(key)"
        lock.lock()
        defer { lock.unlock() }
        if let entry = entries[fullKey], entry.tensor === weight, entry.version == weight.version,
           let value = entry.value as? T {
            return value
        }
        entries = entries.filter { $0.value.isCurrent }
        let value = make()
        entries[fullKey] = Entry(tensor: weight, version: weight.version, value: value)
        return value
    }

    /// `weight` in layout `desc` (its memory described by `own`, default its shape and layout).
    func buffer(_ desc: dnnl_memory_desc_t, _ weight: Tensor, own: dnnl_memory_desc_t? = nil) -> (UnsafeMutableRawPointer, Storage?) {
        let own = own ?? memoryDesc(of: weight)
        if memoryDescEqual(own, desc) { return (weight.raw, nil) }
        let storage = derived(weight, key: descriptorKey(desc)) { () -> Storage in
            let (_, storage) = bufferMatching(desc, weight, own: own)
            return storage!
        }
        return (UnsafeMutableRawPointer(storage.pointer), storage)
    }
}

/// Writes a buffer in a primitive's layout `desc` back into `tensor`'s own layout.
func copyBack(_ desc: dnnl_memory_desc_t, _ buffer: UnsafeMutableRawPointer, into tensor: Tensor,
              own: dnnl_memory_desc_t? = nil) {
    let own = own ?? memoryDesc(of: tensor)
    if buffer == tensor.raw { return }
    reorder(from: desc, buffer, to: own, tensor.raw)
}

/// The counter behind `Tensor.id`.
private let tensorCounter = Atomic<UInt64>(0)

private func nextTensorID() -> UInt64 {
    tensorCounter.wrappingAdd(1, ordering: .relaxed).newValue
}
