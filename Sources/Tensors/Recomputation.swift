// Memory-saving recomputation (mmpose's `with_cp`, limited to the cheap elementwise ops): under
// `withRecomputation(true)` a training-mode batch norm (with or without its fused ReLU) and a residual block's
// add+ReLU give their fp32 output a recipe (`Rebuild`) that recomputes it from tensors backward keeps anyway
// (the batch norm's input and batch statistics; the add's two inputs' recipes). The ops that save such an
// output for backward (the next convolution's weight gradient, a ReLU's mask) save the recipe instead, so the
// output dies once forward has read it and is rebuilt when backward reaches its first user. Recomputed values
// are bit-identical to forward's: the same oneDNN primitives on the same inputs (batch norm in inference mode
// with the batch statistics applies the training forward's per-element formula).
//
// A recipe counts the backward users that reserved it and keeps what it rebuilt until the last one took it: a
// residual stage's outputs, each rebuilt from the previous one, are rebuilt once each per backward.

/// How to recompute an activation that backward needs but forward did not keep (see the file comment).
final class Rebuild {
    private let make: () -> Tensor
    /// Backward users that reserved the activation and have not taken it yet.
    private var pending = 0
    /// The rebuilt activation while users are pending.
    private var rebuilt: Tensor?

    init(_ make: @escaping () -> Tensor) { self.make = make }

    /// Registers one backward user, which calls `take()` once (or never, if its tape entry is dropped).
    func reserve() -> Rebuild {
        pending += 1
        return self
    }

    /// The activation: rebuilt by the first user, released after the last reserved one.
    func take() -> Tensor {
        precondition(pending > 0, "Rebuild.take: no reserved use left")
        let tensor = rebuilt ?? make()
        pending -= 1
        rebuilt = pending > 0 ? tensor : nil
        return tensor
    }
}

/// Runs `body` with this thread's training ops recomputing their cheap fp32 outputs in backward instead of
/// keeping them (`true`), or keeping them (`false`, the default), as mmpose's `with_cp` trades time for memory.
/// Backward recomputes what forward recorded under `true`, inside or outside the scope. Gradients are the
/// same either way. Under bf16 autocast nothing changes: the saved operands are bf16 copies already.
public func withRecomputation<R>(_ enabled: Bool, _ body: () throws -> R) rethrows -> R {
    try withThreadSetting(\.recompute, enabled, body)
}

/// Whether an op recorded with these inputs gives its fp32 output a recipe (`Tensor.rebuild`): the thread
/// recomputes (`withRecomputation`), records, and runs fp32 convolutions.
func recomputes(inputs: [Tensor?]) -> Bool {
    Tape.state.recompute && Tape.autocast == .fp32 && Tape.needsRecord(inputs)
}

/// A forward value kept for backward: the value itself, or the recipe of the tensor it shares memory with.
enum Saved<Value> {
    case kept(Value)
    case rebuilt(Rebuild, (Tensor) -> Value)

    /// `value`, or the recipe of `tensor` when `value` is only `tensor`'s memory (`sharesMemory`), `tensor` has one
    /// and the tape records (a reserved use that nobody takes would keep the rebuilt tensor); `view` turns the
    /// rebuilt tensor into the value.
    init(_ value: Value, of tensor: Tensor, sharesMemory: Bool, view: @escaping (Tensor) -> Value) {
        if sharesMemory && Tape.gradEnabled, let rebuild = tensor.rebuild {
            self = .rebuilt(rebuild.reserve(), view)
        } else {
            self = .kept(value)
        }
    }

    /// The value, rebuilt if needed; call once per backward.
    func take() -> Value {
        switch self {
        case .kept(let value): return value
        case .rebuilt(let rebuild, let view): return view(rebuild.take())
        }
    }
}

extension Saved where Value == Activation {
    /// A convolution operand `source` made from `x` (`Tensor.operand`, `HeadDeconvolution.operand`).
    init(operand source: Activation, of x: Tensor) {
        let layout = source.layout
        self.init(source, of: x, sharesMemory: source.precision == .fp32 && source.storage === x.storage) {
            Activation($0, precision: .fp32, layout: layout)
        }
    }
}

extension Saved where Value == Tensor {
    /// The op output `y` itself.
    init(output y: Tensor) {
        self.init(y, of: y, sharesMemory: true) { $0 }
    }
}
