// A small reverse-mode autograd tape: ops append an entry while recording, `backward` walks the
// tape from the end and accumulates gradients into the inputs (micrograd's `_backward`, in
// execution order instead of a topological sort).

import Foundation

/// The tape of the current thread: each thread records and backpropagates its own graph.
public enum Tape {
    struct Entry {
        let output: Tensor
        let inputs: [Tensor?]
        /// Given d(loss)/d(output), returns d(loss)/d(input) for each input (nil where not needed).
        let backward: (Tensor) -> [Tensor?]
    }

    /// Per-thread tape state, kept in the thread's dictionary.
    final class State {
        var entries: [Entry] = []
        var gradEnabled = true
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

    /// Whether an op with these inputs must record an entry.
    static func needsRecord(_ inputs: [Tensor?]) -> Bool {
        gradEnabled && inputs.contains { $0?.requiresGrad == true }
    }

    /// Records `output = op(inputs)` with its backward closure when any input requires grad.
    static func record(_ output: Tensor, inputs: [Tensor?], backward: @escaping (Tensor) -> [Tensor?]) {
        guard needsRecord(inputs) else { return }
        output.requiresGrad = true
        state.entries.append(Entry(output: output, inputs: inputs, backward: backward))
    }

    /// Drops every recorded entry (and the activations they hold).
    public static func reset() { state.entries.removeAll(keepingCapacity: true) }

    /// Runs `body` without recording (PyTorch's `torch.no_grad()`).
    public static func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
        let saved = gradEnabled
        gradEnabled = false
        defer { gradEnabled = saved }
        return try body()
    }
}

/// Backpropagates from `output` (d output = `gradient`, default ones) through the recorded tape,
/// accumulating into `.grad` of every leaf that requires grad, then clears the tape.
public func backward(_ output: Tensor, gradient: Tensor? = nil) {
    var grads: [ObjectIdentifier: Tensor] = [:]
    grads[ObjectIdentifier(output)] = gradient ?? Tensor(repeating: 1, shape: output.shape, layout: output.layout)
    let entries = Tape.entries
    Tape.reset()
    for entry in entries.reversed() {
        guard let dy = grads.removeValue(forKey: ObjectIdentifier(entry.output)) else { continue }
        let inputGrads = entry.backward(dy)
        for (input, g) in zip(entry.inputs, inputGrads) {
            guard let input, let g, input.requiresGrad else { continue }
            let id = ObjectIdentifier(input)
            if let existing = grads[id] {
                grads[id] = addNoGrad(existing, g)
            } else {
                grads[id] = g
            }
        }
    }
    // What is left are leaves (tensors no recorded op produced).
    for entry in entries {
        for case let input? in entry.inputs where input.requiresGrad {
            let id = ObjectIdentifier(input)
            guard let g = grads.removeValue(forKey: id) else { continue }
            input.grad = input.grad.map { addNoGrad($0, g) } ?? g.withLayout(input.layout)
        }
    }
}
