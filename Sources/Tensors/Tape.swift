// A small reverse-mode autograd tape: ops append an entry while recording, `backward` walks the
// tape from the end and accumulates gradients into the inputs (micrograd's `_backward`, in
// execution order instead of a topological sort).

import Foundation

/// The tape of the current thread: each thread records and backpropagates its own graph.
public enum Tape {
    /// One recorded op. It names its output and inputs by `Tensor.id` and keeps only leaves alive (their
    /// `.grad` receives the gradient): activations live only as long as some backward closure saved them,
    /// as in PyTorch, not until the end of backward.
    struct Entry {
        let output: UInt64
        /// Per input: nil when no gradient flows to it, else its id and, for a leaf, the tensor.
        let inputs: [Input?]
        /// Given d(loss)/d(output), returns d(loss)/d(input) for each input (nil where not needed). d(loss)/d(output)
        /// comes as one tensor, or with `fusesSum` as the unsummed gradients of the output's uses (one or two, in
        /// arrival order), whose sum the entry fuses into its own pass (e.g. a ReLU's mask).
        let backward: ([Tensor]) -> [Tensor?]
        let fusesSum: Bool
    }

    struct Input {
        let id: UInt64
        let leaf: Tensor?
    }

    /// Per-thread tape state, kept in the thread's dictionary.
    final class State {
        var entries: [Entry] = []
        /// Ids of the outputs recorded so far: an input that requires grad and is not among them is a leaf.
        var produced: Set<UInt64> = []
        var gradEnabled = true
        /// The precision convolutions compute in (`withAutocast`).
        var autocast = Precision.fp32
        /// Whether convolutions may run as Winograd (`withWinograd`).
        var winograd = true
        /// Whether training ops give their cheap fp32 outputs a recipe to rebuild them in backward (`withRecomputation`).
        var recompute = false
        /// Activations this thread's backward rebuilt so far (tests read it).
        var rebuildCount = 0
    }

    static var state: State {
        let key = "SwiftPose.Tape"
        if let state = Thread.current.threadDictionary[key] as? State { return state }
        let state = State()
        Thread.current.threadDictionary[key] = state
        return state
    }

    static var entries: [Entry] {
        get { state.entries }
        set { state.entries = newValue }
    }

    static var gradEnabled: Bool {
        get { state.gradEnabled }
        set { state.gradEnabled = newValue }
    }

    /// The precision this thread's convolutions compute in: fp32, or bf16 inside `withAutocast(.bf16)`.
    public static var autocast: Precision { state.autocast }

    /// Whether this thread's fp32 3×3 convolutions may run as Winograd: true, or as set by `withWinograd`.
    static var winograd: Bool { state.winograd }

    /// Whether an op with these inputs must record an entry.
    static func needsRecord(_ inputs: [Tensor?]) -> Bool {
        gradEnabled && inputs.contains { $0?.requiresGrad == true }
    }

    /// Records `output = op(inputs)` with its backward closure when any input requires grad.
    static func record(_ output: Tensor, inputs: [Tensor?], backward: @escaping (Tensor) -> [Tensor?]) {
        append(output, inputs: inputs, fusesSum: false) { parts in backward(parts[0]) }
    }

    /// Records `output = op(inputs)` whose backward takes the output's gradient as its unsummed parts (see
    /// `Entry.fusesSum`).
    static func record(_ output: Tensor, inputs: [Tensor?], backwardOfParts: @escaping ([Tensor]) -> [Tensor?]) {
        append(output, inputs: inputs, fusesSum: true, backward: backwardOfParts)
    }

    private static func append(_ output: Tensor, inputs: [Tensor?], fusesSum: Bool,
                               backward: @escaping ([Tensor]) -> [Tensor?]) {
        guard needsRecord(inputs) else { return }
        output.requiresGrad = true
        let state = state
        let named = inputs.map { input -> Input? in
            guard let input, input.requiresGrad else { return nil }
            return Input(id: input.id, leaf: state.produced.contains(input.id) ? nil : input)
        }
        state.produced.insert(output.id)
        state.entries.append(Entry(output: output.id, inputs: named, backward: backward, fusesSum: fusesSum))
    }

    /// Drops every recorded entry (and the activations they hold).
    public static func reset() {
        state.entries.removeAll(keepingCapacity: true)
        state.produced.removeAll(keepingCapacity: true)
    }

    /// Runs `body` without recording (PyTorch's `torch.no_grad()`).
    public static func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
        let saved = gradEnabled
        gradEnabled = false
        defer { gradEnabled = saved }
        return try body()
    }
}

/// Runs `body` with this thread's convolutions (`conv2d`, the deconvolutions of `convTranspose2d` and
/// `convTranspose2dBatchNorm2d`) computing in `precision` — PyTorch's `torch.autocast("cpu", torch.bfloat16)`
/// for convolutions: with bf16 their inputs, weights and output gradients are rounded to bf16, products are
/// accumulated in fp32, and their outputs and gradients are fp32; weights (the master copy), batch norm, the
/// loss and the optimizer stay fp32. Backward runs each convolution in the precision of its forward, inside or
/// outside the scope. bf16 needs a CPU with native bf16 convolutions (`bf16ConvolutionImplementation()`).
public func withAutocast<R>(_ precision: Precision, _ body: () throws -> R) rethrows -> R {
    try withThreadSetting(\.autocast, precision, body)
}

/// Runs `body` with this thread's fp32 3×3 stride-1 convolutions on blocked activations allowed (the default)
/// or not to run as oneDNN's Winograd F(4×4, 3×3) — faster, with slightly larger rounding errors than direct
/// convolution (as `torch.backends.cudnn.allow_tf32` trades a little precision for speed). Backward runs each
/// convolution with the algorithm of its forward.
public func withWinograd<R>(_ enabled: Bool, _ body: () throws -> R) rethrows -> R {
    try withThreadSetting(\.winograd, enabled, body)
}

/// Runs `body` with one of this thread's tape settings at `value`, restoring it afterwards.
func withThreadSetting<V, R>(_ setting: ReferenceWritableKeyPath<Tape.State, V>, _ value: V,
                                     _ body: () throws -> R) rethrows -> R {
    let state = Tape.state
    let saved = state[keyPath: setting]
    state[keyPath: setting] = value
    defer { state[keyPath: setting] = saved }
    return try body()
}

/// Backpropagates from `output` (d output = `gradient`, default ones) through the recorded tape,
/// accumulating into `.grad` of every leaf that requires grad, then clears the tape. Each entry is released
/// as soon as its backward has run, so saved activations are freed progressively (as PyTorch frees saved
/// tensors), which lowers the peak memory of a training step. The gradients of a tensor used several times are
/// summed as they arrive, or handed unsummed (at most two) to an entry that fuses the sum (`Entry.fusesSum`).
public func backward(_ output: Tensor, gradient: Tensor? = nil) {
    var entries: [Tape.Entry?] = Tape.entries
    Tape.reset()
    let takesParts = Set(entries.compactMap { $0?.fusesSum == true ? $0?.output : nil })
    var grads: [UInt64: [Tensor]] = [:]
    var leaves: [UInt64: (tensor: Tensor, grad: Tensor)] = [:]
    grads[output.id] = [gradient ?? Tensor(repeating: 1, shape: output.shape, layout: output.layout)]
    for index in entries.indices.reversed() {
        guard let entry = entries[index] else { continue }
        entries[index] = nil
        guard let parts = grads.removeValue(forKey: entry.output) else { continue }
        let inputGrads = entry.backward(parts)
        for (input, g) in zip(entry.inputs, inputGrads) {
            guard let input, let g else { continue }
            if let leaf = input.leaf {
                leaves[input.id] = (leaf, leaves[input.id].map { addNoGrad($0.grad, g) } ?? g)
            } else if var parts = grads[input.id] {
                if takesParts.contains(input.id) {
                    // At most two parts wait for the fusing entry: earlier ones are summed, in arrival order.
                    if parts.count == 2 { parts = [addNoGrad(parts[0], parts[1])] }
                    parts.append(g)
                } else {
                    parts = [addNoGrad(parts[0], g)]
                }
                grads[input.id] = parts
            } else {
                grads[input.id] = [g]
            }
        }
    }
    for (leaf, g) in leaves.values {
        leaf.grad = leaf.grad.map { addNoGrad($0, g) } ?? g.withLayout(leaf.layout)
    }
}
