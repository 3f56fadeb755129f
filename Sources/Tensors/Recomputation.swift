// Memory-saving recomputation (mmpose's `with_cp`, limited to the cheap elementwise ops): under
// `withRecomputation(true)` a training-mode batch norm (with or without its fused ReLU) and a residual block's
// add+ReLU give their fp32 output a recipe (`Rebuild`) that recomputes it from tensors backward keeps anyway
// (the batch norm's input and batch statistics; the add's two inputs' recipes). The ops that save such an
// output for backward (a convolution's or head deconvolution's weight gradient, a ReLU's mask) save the recipe
// instead, so the output dies once forward has read it and is rebuilt when backward reaches its first user.
// Recomputed values are bit-identical to forward's: the same oneDNN primitives on the same inputs (batch norm in
// inference mode with the batch statistics applies the training forward's per-element formula).
//
// A recipe counts the backward users that reserved it and keeps what it rebuilt until the last one took it;
// then it is used up and lets go of its inputs. A residual stage's outputs are rebuilt once each per backward:
// the first take of the stage's last output rebuilds the chain back to the stage's first block (whose shortcut
// is a projection), and each output stays until its own users have run, so during that stage's backward its
// block outputs exist together, as without recomputation. A recipe lives as long as the tape entry of the op
// that made it and the users that reserved it (`Tensor.rebuild` is weak): a tensor kept after backward pins
// nothing.

/// How to recompute an activation that backward needs but forward did not keep (see the file comment).
final class Rebuild {
    /// The recipe; nil once used up (every reserved use taken), which releases what it captured.
    private var make: (() -> Tensor)?
    /// Backward users that reserved the activation and have not taken it yet.
    private var pending = 0
    /// The rebuilt activation while users are pending.
    private var rebuilt: Tensor?

    init(_ make: @escaping () -> Tensor) { self.make = make }

    /// Whether users may still reserve it (not used up).
    var isAvailable: Bool { make != nil }

    /// Registers one backward user, which calls `take()` once (or never, if its tape entry is dropped).
    func reserve() -> Rebuild {
        precondition(isAvailable, "Rebuild.reserve: the recipe is used up")
        pending += 1
        return self
    }

    /// The activation: rebuilt by the first user, released after the last reserved one.
    func take() -> Tensor {
        guard pending > 0, let make else { preconditionFailure("Rebuild.take: no reserved use left") }
        let tensor: Tensor
        if let rebuilt {
            tensor = rebuilt
        } else {
            Tape.state.rebuildCount += 1
            tensor = make()
        }
        pending -= 1
        rebuilt = pending > 0 ? tensor : nil
        if pending == 0 { self.make = nil }
        return tensor
    }
}

extension Tensor {
    /// Gives this fresh op output `make` as its recipe when `recomputes(inputs:)`; returns the recipe for the
    /// producing op's tape entry to hold (`Tensor.rebuild` is weak).
    func attachRebuild(inputs: [Tensor?], _ make: @escaping () -> Tensor) -> Rebuild? {
        guard recomputes(inputs: inputs) else { return nil }
        let recipe = Rebuild(make)
        rebuild = recipe
        return recipe
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
    /// that is not used up, and the op saving it records with `inputs` (a reserved use that nobody takes would keep
    /// the rebuilt tensor); `view` turns the rebuilt tensor into the value.
    init(_ value: Value, of tensor: Tensor, sharesMemory: Bool, recordedWith inputs: [Tensor?],
         view: @escaping (Tensor) -> Value) {
        if sharesMemory, let rebuild = tensor.rebuild, rebuild.isAvailable, Tape.needsRecord(inputs) {
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
    /// A convolution operand `source` made from `x` (`Tensor.operand`, `HeadDeconvolution.operand`), saved by an op
    /// recorded with `inputs`.
    init(operand source: Activation, of x: Tensor, recordedWith inputs: [Tensor?]) {
        let layout = source.layout
        self.init(source, of: x, sharesMemory: source.precision == .fp32 && source.storage === x.storage,
                  recordedWith: inputs) {
            Activation($0, precision: .fp32, layout: layout)
        }
    }
}

extension Saved where Value == Tensor {
    /// The output `y` itself, saved by the op that made it, recorded with `inputs`.
    init(output y: Tensor, recordedWith inputs: [Tensor?]) {
        self.init(y, of: y, sharesMemory: true, recordedWith: inputs) { $0 }
    }
}
