// What every optimizer shares: a list of parameters (tensors whose `.grad` backward fills), an
// in-place `step(lr:)`, `zeroGrad()`, and its state as named float arrays for checkpoints.
import Foundation
import Tensors

/// An optimizer over a fixed list of parameters, PyTorch `torch.optim.Optimizer` semantics
/// (one parameter group; the learning rate is passed to every `step`, so schedules stay plain values).
public protocol Optimizer: AnyObject {
    /// The parameters, in the order given at construction.
    var parameters: [Tensor] { get }
    /// The name of each parameter in checkpoints (its state-dict key, or its index).
    var names: [String] { get }
    /// Updates every parameter that has a gradient, in place. Parameters whose `grad` is nil are
    /// skipped and keep their state untouched (as PyTorch).
    func step(lr: Double)
    /// The optimizer state as named float arrays in logical (NCHW, C) order:
    /// `<name>.<field>` with PyTorch's field names (`exp_avg`, `exp_avg_sq`, `step`, `momentum_buffer`).
    /// `step` is a shape-`[]` float (exact up to 2²⁴ steps). Parameters that never had a gradient have no entries.
    func stateArrays() -> [NamedArray]
    /// Restores state written by `stateArrays()`; throws on unknown names, missing fields or wrong shapes.
    func loadStateArrays(_ arrays: [NamedArray]) throws
}

extension Optimizer {
    /// Drops every parameter's gradient (PyTorch `zero_grad(set_to_none=True)`, the default).
    public func zeroGrad() {
        for p in parameters { p.grad = nil }
    }
}

/// A named float array with its logical shape: one entry of an optimizer's checkpoint state.
public struct NamedArray: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "NamedArray \(name): \(values.count) values for shape \(shape)")
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// Errors of the `Optim` target; each names the parameter or key and what was expected.
public enum OptimError: Error, CustomStringConvertible, Equatable {
    /// `loadStateArrays` met a key whose parameter name is not one of the optimizer's.
    case unknownStateKey(String)
    /// A state array's shape differs from its parameter's.
    case stateShapeMismatch(key: String, actual: [Int], expected: [Int])
    /// A parameter has some state fields but not this one.
    case missingStateField(key: String)
    /// Constructor arguments out of range (`lr`, betas, eps, momentum, names).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .unknownStateKey(let key):
            return "optimizer state: \(key) names no parameter of this optimizer"
        case .stateShapeMismatch(let key, let actual, let expected):
            return "optimizer state: \(key) has shape \(actual), expected \(expected)"
        case .missingStateField(let key):
            return "optimizer state: \(key) is missing"
        case .invalidArgument(let message):
            return "optimizer: \(message)"
        }
    }
}

// MARK: - Helpers shared by SGD and Adam

/// The default parameter names: their indices, as PyTorch's `optimizer.state_dict()`.
func defaultNames(_ count: Int, _ names: [String]?) -> [String] {
    let names = names ?? (0..<count).map(String.init)
    precondition(names.count == count, "Optimizer: \(names.count) names for \(count) parameters")
    precondition(Set(names).count == names.count, "Optimizer: parameter names must be unique")
    return names
}

/// Runs `body(parameter, gradient, count)` on the stored elements of `p` and of its gradient in the
/// same layout (a reordered copy only when the gradient is stored in another layout).
func withParameterAndGradient(_ p: Tensor, _ body: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void) {
    guard let grad = p.grad, p.count > 0 else { return }
    precondition(grad.shape == p.shape, "Optimizer: gradient of shape \(grad.shape) for a parameter of shape \(p.shape)")
    let g = grad.layout == p.layout ? grad : grad.withLayout(p.layout)
    g.withUnsafeMutableBufferPointer { gb in
        p.withUnsafeMutableBufferPointer { pb in
            body(pb.baseAddress!, UnsafePointer(gb.baseAddress!), pb.count)
        }
    }
}

/// Stored order (`layout`) → logical order, for exporting state kept beside a parameter.
func logicalValues(_ stored: [Float], shape: [Int], layout: Layout) -> [Float] {
    guard layout == .channelsLast, shape.count == 4 else { return stored }
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    var out = [Float](repeating: 0, count: stored.count)
    for ni in 0..<n { for ci in 0..<c { for hi in 0..<h { for wi in 0..<w {
        out[((ni * c + ci) * h + hi) * w + wi] = stored[((ni * h + hi) * w + wi) * c + ci]
    } } } }
    return out
}

/// Logical order → stored order (`layout`), for importing state.
func storedValues(_ logical: [Float], shape: [Int], layout: Layout) -> [Float] {
    guard layout == .channelsLast, shape.count == 4 else { return logical }
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    var out = [Float](repeating: 0, count: logical.count)
    for ni in 0..<n { for ci in 0..<c { for hi in 0..<h { for wi in 0..<w {
        out[((ni * h + hi) * w + wi) * c + ci] = logical[((ni * c + ci) * h + hi) * w + wi]
    } } } }
    return out
}

/// Groups `arrays` by parameter name (`<name>.<field>`), rejecting names the optimizer does not have.
func groupState(_ arrays: [NamedArray], names: [String], fields: [String]) throws -> [String: [String: NamedArray]] {
    let known = Set(names)
    var grouped: [String: [String: NamedArray]] = [:]
    for array in arrays {
        guard let field = fields.first(where: { array.name.hasSuffix("." + $0) }) else {
            throw OptimError.unknownStateKey(array.name)
        }
        let name = String(array.name.dropLast(field.count + 1))
        guard known.contains(name) else { throw OptimError.unknownStateKey(array.name) }
        grouped[name, default: [:]][field] = array
    }
    return grouped
}
