// The process-wide oneDNN CPU engine and stream, memory descriptors, and the primitive cache.
// Nothing here is public: no oneDNN type appears above the `Tensors` target (a CUDA backend can
// replace this file and the op bodies without changing any caller).
import CDNNL
import Foundation

/// Aborts with the oneDNN status and what was being done. oneDNN only fails here on programmer
/// errors (unsupported shapes are caught earlier by the ops' preconditions).
@inline(__always)
func dnnlCheck(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
    if status != dnnl_success {
        fatalError("oneDNN \(what()) failed with status \(status.rawValue)")
    }
}

/// The one CPU engine and in-order stream of the process.
///
/// oneDNN handles are not Sendable; the engine and stream are created once and only read after that,
/// and primitives execute on the calling thread (oneDNN threads internally with OpenMP).
final class DNNLContext: @unchecked Sendable {
    static let shared = DNNLContext()

    let engine: dnnl_engine_t
    let stream: dnnl_stream_t
    /// Serialises execution: one stream, and primitives with library-managed scratchpads are not
    /// safe to run concurrently from several threads (oneDNN threads each primitive internally).
    let executionLock = NSLock()

    private init() {
        var engine: dnnl_engine_t?
        dnnlCheck(dnnl_engine_create(&engine, dnnl_cpu, 0), "engine_create")
        self.engine = engine!
        var stream: dnnl_stream_t?
        dnnlCheck(dnnl_stream_create(&stream, self.engine, UInt32(dnnl_stream_default_flags.rawValue)),
                  "stream_create")
        self.stream = stream!
    }
}

/// A plain float32 memory descriptor for `dims` in `tag` order (`dnnl_format_tag_any` lets the
/// primitive choose).
func memoryDesc(_ dims: [Int], _ tag: dnnl_format_tag_t, _ type: dnnl_data_type_t = dnnl_f32) -> dnnl_memory_desc_t {
    var md = dnnl_memory_desc_t()
    let dims64 = dims.map { Int64($0) }
    dnnlCheck(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims64, type, tag), "memory_desc_init \(dims)")
    return md
}

/// The oneDNN format tag of a tensor with `rank` dimensions stored in `layout`.
func formatTag(rank: Int, _ layout: Layout) -> dnnl_format_tag_t {
    switch (rank, layout) {
    case (1, _): return dnnl_a
    case (2, _): return dnnl_ab
    case (3, _): return dnnl_abc
    case (4, .contiguous): return dnnl_abcd
    case (4, .channelsLast): return dnnl_acdb
    case (4, .blocked): return dnnl_nChw16c
    default: preconditionFailure("formatTag: rank \(rank) with layout \(layout)")
    }
}

/// The memory descriptor of `tensor` as it is stored.
func memoryDesc(of tensor: Tensor) -> dnnl_memory_desc_t {
    memoryDesc(tensor.shape, formatTag(rank: tensor.shape.count, tensor.layout))
}

/// A descriptor of `dims` with explicit element strides (a view into a larger buffer), float32 by default.
func memoryDesc(_ dims: [Int], strides: [Int], _ type: dnnl_data_type_t = dnnl_f32) -> dnnl_memory_desc_t {
    var md = dnnl_memory_desc_t()
    dnnlCheck(dnnl_memory_desc_init_by_strides(&md, Int32(dims.count), dims.map { Int64($0) }, type,
                                               strides.map { Int64($0) }), "memory_desc_init \(dims) \(strides)")
    return md
}

/// Channels `start..<start + shape[1]` of a 4-D tensor [N, totalChannels, H, W] stored in `layout`, as a
/// strided descriptor of `shape` and the float offset of its first element in the whole tensor's memory:
/// reorders into and out of it concatenate, split and pad along channels.
func channelSlice(_ shape: [Int], start: Int, totalChannels: Int,
                  layout: Layout) -> (desc: dnnl_memory_desc_t, offset: Int) {
    let (h, w) = (shape[2], shape[3])
    switch layout {
    case .channelsLast:
        return (memoryDesc(shape, strides: [h * w * totalChannels, 1, w * totalChannels, totalChannels]), start)
    case .contiguous:
        return (memoryDesc(shape, strides: [totalChannels * h * w, h * w, w, 1]), start * h * w)
    case .blocked:
        preconditionFailure("channelSlice: blocked tensors have no strided channel views; convert with toLayout first")
    }
}

/// Primitive attributes with post-ops `sum(1.0)` (if `sum`) then `eltwise relu` (if `relu`); the caller destroys them.
func postOpsAttribute(sum: Bool, relu: Bool) -> dnnl_primitive_attr_t {
    var attr: dnnl_primitive_attr_t?
    dnnlCheck(dnnl_primitive_attr_create(&attr), "primitive_attr_create")
    var ops: dnnl_post_ops_t?
    dnnlCheck(dnnl_post_ops_create(&ops), "post_ops_create")
    if sum { dnnlCheck(dnnl_post_ops_append_sum(ops, 1), "post_ops_append_sum") }
    if relu { dnnlCheck(dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_relu, 0, 0), "post_ops_append_eltwise") }
    dnnlCheck(dnnl_primitive_attr_set_post_ops(attr, ops), "primitive_attr_set_post_ops")
    dnnl_post_ops_destroy(ops)
    return attr!
}

func memoryDescSize(_ md: dnnl_memory_desc_t) -> Int {
    var md = md
    return dnnl_memory_desc_get_size(&md)
}

func memoryDescEqual(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
    var a = a, b = b
    return dnnl_memory_desc_equal(&a, &b) != 0
}

/// A memory descriptor's bytes as a string, usable as (part of) an exact cache key.
func descriptorKey(_ md: dnnl_memory_desc_t) -> String {
    withUnsafeBytes(of: md) { Data($0).base64EncodedString() }
}

/// A tensor's shape and layout as part of a cache key.
func layoutKey(_ t: Tensor) -> String { "\(t.shape)\(t.layout)" }

/// A created primitive with its primitive descriptor.
final class Primitive: @unchecked Sendable {
    let descriptor: dnnl_primitive_desc_t
    let handle: dnnl_primitive_t
    /// oneDNN's implementation name, e.g. `brg:avx512_core` or `jit:avx512_core`.
    let implementation: String
    /// The scratch memory each run needs (nil: none), passed by `execute`.
    private let scratchpadDesc: dnnl_memory_desc_t?

    /// Creates the primitive from an op descriptor (pointer to a `dnnl_*_desc_t`).
    convenience init(opDesc: UnsafeRawPointer, hint: Primitive? = nil, attr: dnnl_primitive_attr_t? = nil, what: String) {
        var pd: dnnl_primitive_desc_t?
        withUserScratchpad(attr) { attr in
            dnnlCheck(dnnl_primitive_desc_create(&pd, opDesc, attr, DNNLContext.shared.engine, hint?.descriptor),
                      "primitive_desc_create \(what)")
        }
        self.init(descriptor: pd!, what: what)
    }

    /// The primitive, or nil when oneDNN has no implementation for the op descriptor (instead of stopping).
    static func ifImplemented(opDesc: UnsafeRawPointer, attr: dnnl_primitive_attr_t? = nil,
                              what: String) -> Primitive? {
        var pd: dnnl_primitive_desc_t?
        let status = withUserScratchpad(attr) { attr in
            dnnl_primitive_desc_create(&pd, opDesc, attr, DNNLContext.shared.engine, nil)
        }
        guard status == dnnl_success, let pd else { return nil }
        return Primitive(descriptor: pd, what: what)
    }

    /// `descriptor` must have been created with a user scratchpad (`withUserScratchpad`).
    init(descriptor: dnnl_primitive_desc_t, what: String) {
        self.descriptor = descriptor
        var primitive: dnnl_primitive_t?
        dnnlCheck(dnnl_primitive_create(&primitive, descriptor), "primitive_create \(what)")
        handle = primitive!
        var info: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &info)
        implementation = info.map { String(cString: $0) } ?? "?"
        let scratchpad = dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0).pointee
        scratchpadDesc = memoryDescSize(scratchpad) > 0 ? scratchpad : nil
        PrimitiveLog.shared.note(what: what, implementation: implementation)
    }

    /// The memory descriptor the primitive expects for `query` (e.g. `dnnl_query_weights_md`).
    func memoryDesc(_ query: dnnl_query_t, index: Int32 = 0) -> dnnl_memory_desc_t {
        dnnl_primitive_desc_query_md(descriptor, query, index).pointee
    }

    /// Runs the primitive on the stream and waits. Each argument is (DNNL_ARG_*, descriptor, pointer).
    func execute(_ arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)]) {
        let context = DNNLContext.shared
        var memories: [dnnl_memory_t?] = []
        memories.reserveCapacity(arguments.count + 1)
        var args: [dnnl_exec_arg_t] = []
        let scratchpad = scratchpadDesc.map { Storage(count: (memoryDescSize($0) + 3) / 4) }
        defer { withExtendedLifetime(scratchpad) {} }
        let scratchpadArgument = scratchpad.map {
            (DNNL_ARG_SCRATCHPAD, scratchpadDesc!, UnsafeMutableRawPointer($0.pointer))
        }
        for (slot, md, pointer) in arguments + (scratchpadArgument.map { [$0] } ?? []) {
            var md = md
            var memory: dnnl_memory_t?
            dnnlCheck(dnnl_memory_create(&memory, &md, context.engine, pointer), "memory_create")
            memories.append(memory)
            args.append(dnnl_exec_arg_t(arg: slot, memory: memory))
        }
        context.executionLock.lock()
        dnnlCheck(dnnl_primitive_execute(handle, context.stream, Int32(args.count), args), "execute")
        dnnlCheck(dnnl_stream_wait(context.stream), "stream_wait")
        context.executionLock.unlock()
        for memory in memories { dnnl_memory_destroy(memory) }
    }
}

/// Runs `body` with `attr` (or new attributes) set to a user-provided scratchpad. oneDNN's default library
/// scratchpad belongs to the thread that created the primitive; a primitive cached on one thread and run on
/// another then reads a scratchpad that thread never allocated (Winograd convolutions crashed so under parallel
/// tests). `Primitive.execute` passes every run its own scratchpad instead.
func withUserScratchpad<R>(_ attr: dnnl_primitive_attr_t?, _ body: (dnnl_primitive_attr_t) -> R) -> R {
    var attributes = attr
    if attributes == nil { dnnlCheck(dnnl_primitive_attr_create(&attributes), "primitive_attr_create") }
    defer { if attr == nil { dnnl_primitive_attr_destroy(attributes) } }
    dnnlCheck(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "set_scratchpad_mode")
    return body(attributes!)
}

/// Primitives cached by a key describing their parameters; created once, reused every step.
final class PrimitiveCache: @unchecked Sendable {
    static let shared = PrimitiveCache()
    private var primitives: [String: Primitive] = [:]
    private let lock = NSLock()

    func primitive(_ key: String, make: () -> Primitive) -> Primitive {
        lock.lock()
        defer { lock.unlock() }
        if let cached = primitives[key] { return cached }
        let created = make()
        primitives[key] = created
        return created
    }
}

/// Which oneDNN implementations the process created, so tests can assert none is a `ref:` fallback.
public final class PrimitiveLog: @unchecked Sendable {
    public static let shared = PrimitiveLog()
    private var entries: [String: String] = [:]
    private let lock = NSLock()

    func note(what: String, implementation: String) {
        lock.lock()
        entries[what] = implementation
        lock.unlock()
    }

    /// Every primitive created so far: description → implementation name.
    public var implementations: [String: String] {
        lock.lock()
        defer { lock.unlock() }
        return entries
    }

    /// The primitives whose implementation is oneDNN's slow reference code.
    public var referenceFallbacks: [String: String] {
        implementations.filter { $0.value.hasPrefix("ref") }
    }
}

/// oneDNN's version string, e.g. `2.6.3`.
public func dnnlVersion() -> String {
    let v = dnnl_version().pointee
    return "\(v.major).\(v.minor).\(v.patch)"
}
