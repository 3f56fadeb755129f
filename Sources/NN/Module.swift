// Modules own parameters and buffers under PyTorch state-dict names, and know train/eval mode.
import Tensors

/// One state-dict entry of a module: a float32 tensor (parameter or buffer) or an int64 counter.
public enum StateValue {
    /// A trainable float32 tensor (`weight`, `bias`).
    case parameter(Tensor)
    /// A float32 buffer that is saved but not trained (`running_mean`, `running_var`).
    case buffer(Tensor)
    /// An int64 scalar buffer (`num_batches_tracked`).
    case counter(Counter)
}

/// A mutable int64 scalar shared by reference (BatchNorm's `num_batches_tracked`).
public final class Counter {
    public var value: Int64
    public init(_ value: Int64 = 0) { self.value = value }
}

/// Receives a module tree's state entries with full dotted keys (`layer1.0.conv1.weight`).
public struct StateVisitor {
    let prefix: String
    let onEntry: (String, StateValue) -> Void
    let onModule: (Module) -> Void

    /// A direct entry of the visited module, under its PyTorch key.
    public func visit(_ key: String, _ value: StateValue) { onEntry(prefix + key, value) }

    /// A child module whose entries are prefixed by `key.` (nil children, e.g. no downsample, are skipped).
    public func visit(_ key: String, _ child: Module?) {
        guard let child else { return }
        child.visitAll(StateVisitor(prefix: prefix + key + ".", onEntry: onEntry, onModule: onModule))
    }

    /// A child module whose entries keep this module's prefix (PoseNet's backbone keys are top level).
    public func visitInline(_ child: Module?) {
        child?.visitAll(self)
    }
}

/// Base class of layers and models. A subclass lists its parameters, buffers and children in
/// `visitState` under their PyTorch names; that is the only place those strings appear.
open class Module {
    /// Train mode (batch statistics in BatchNorm) or eval mode (running statistics).
    public private(set) var isTraining = true

    public init() {}

    /// Lists this module's own entries and children, in PyTorch's registration order.
    open func visitState(_ visitor: StateVisitor) {}

    func visitAll(_ visitor: StateVisitor) {
        visitor.onModule(self)
        visitState(visitor)
    }

    /// Every state entry with its full key, in registration order.
    public func namedState() -> [(key: String, value: StateValue)] {
        var entries: [(key: String, value: StateValue)] = []
        visitAll(StateVisitor(prefix: "", onEntry: { entries.append(($0, $1)) }, onModule: { _ in }))
        return entries
    }

    /// The trainable parameters with their full keys, in registration order.
    public func namedParameters() -> [(key: String, tensor: Tensor)] {
        namedState().compactMap { entry in
            if case .parameter(let t) = entry.value { return (entry.key, t) }
            return nil
        }
    }

    /// The trainable parameters, in registration order.
    public func parameters() -> [Tensor] { namedParameters().map(\.tensor) }

    /// Number of trainable scalars (PyTorch's `sum(p.numel() for p in model.parameters())`).
    public func parameterCount() -> Int { parameters().reduce(0) { $0 + $1.count } }

    /// Sets train (`true`) or eval mode on this module and every descendant.
    public func train(_ on: Bool = true) {
        visitAll(StateVisitor(prefix: "", onEntry: { _, _ in }, onModule: { $0.isTraining = on }))
    }

    /// Eval mode (PyTorch's `model.eval()`).
    public func eval() { train(false) }

    /// Marks every parameter as requiring a gradient (or not) and clears the gradients.
    public func requiresGrad(_ on: Bool) {
        for p in parameters() {
            p.requiresGrad = on
            p.grad = nil
        }
    }

    /// Clears every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`).
    public func zeroGrad() {
        for p in parameters() { p.grad = nil }
    }
}
