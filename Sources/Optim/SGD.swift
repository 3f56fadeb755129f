// Stochastic gradient descent with momentum, PyTorch `torch.optim.SGD` (`_single_tensor_sgd`):
//   g = grad + weight_decay · p
//   buf = g                              (first step)
//   buf = momentum · buf + (1 − dampening) · g   (later steps)
//   g = nesterov ? g + momentum · buf : buf      (when momentum ≠ 0)
//   p = p − lr · g
// Each `x + α · y` is one fused multiply-add, as torch's vectorised `add(alpha=)`: the updates equal
// torch.optim's bit for bit on the fixtures.
import Tensors

/// State of one parameter under SGD: the momentum buffer (empty until the first step with momentum).
public struct SGDState: Sendable, Equatable {
    /// `momentum_buffer`, in the parameter's stored order; empty before the first step.
    public var momentumBuffer: [Float] = []
    public init(momentumBuffer: [Float] = []) { self.momentumBuffer = momentumBuffer }
}

/// `torch.optim.SGD` over a list of parameters (one parameter group).
public final class SGD: Optimizer {
    /// Hyper-parameters of `torch.optim.SGD` except the learning rate, which `step(lr:)` takes.
    public struct Options: Sendable, Equatable {
        public var momentum: Double
        public var dampening: Double
        public var weightDecay: Double
        public var nesterov: Bool

        public init(momentum: Double = 0, dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false) {
            self.momentum = momentum
            self.dampening = dampening
            self.weightDecay = weightDecay
            self.nesterov = nesterov
        }

        /// Checks the ranges `torch.optim.SGD.__init__` checks.
        public func validate() throws {
            guard momentum >= 0 else { throw OptimError.invalidArgument("invalid momentum value: \(momentum)") }
            guard weightDecay >= 0 else { throw OptimError.invalidArgument("invalid weight_decay value: \(weightDecay)") }
            if nesterov && (momentum <= 0 || dampening != 0) {
                throw OptimError.invalidArgument("nesterov momentum requires a momentum and zero dampening")
            }
        }
    }

    public let parameters: [Tensor]
    public let names: [String]
    public var options: Options
    /// One state per parameter, in `parameters` order.
    public private(set) var states: [SGDState]

    /// - Parameters:
    ///   - parameters: the tensors to update (their `grad` is read at each step).
    ///   - names: checkpoint names (state-dict keys); default `"0"`, `"1"`, … as PyTorch.
    public init(parameters: [Tensor], names: [String]? = nil, momentum: Double = 0, dampening: Double = 0,
                weightDecay: Double = 0, nesterov: Bool = false) throws {
        let options = Options(momentum: momentum, dampening: dampening, weightDecay: weightDecay, nesterov: nesterov)
        try options.validate()
        self.parameters = parameters
        self.names = defaultNames(parameters.count, names)
        self.options = options
        self.states = Array(repeating: SGDState(), count: parameters.count)
    }

    public func step(lr: Double) {
        for (i, p) in parameters.enumerated() {
            withParameterAndGradient(p) { param, grad, count in
                guard options.momentum != 0 else {
                    SGD.applySingle(parameter: param, gradient: grad, count: count, state: nil,
                                    firstStep: false, lr: lr, options: options)
                    return
                }
                var s = states[i]
                states[i] = SGDState()
                let first = s.momentumBuffer.isEmpty
                if first { s.momentumBuffer = [Float](repeating: 0, count: count) }
                s.momentumBuffer.withUnsafeMutableBufferPointer { buffer in
                    SGD.applySingle(parameter: param, gradient: grad, count: count, state: buffer.baseAddress,
                                    firstStep: first, lr: lr, options: options)
                }
                states[i] = s
            }
        }
    }

    /// One parameter's update in place: the pure step behind `step(lr:)` (mlx-swift's `applySingle`).
    /// `state` is the momentum buffer (`count` floats; nil when momentum is 0); `firstStep` initialises
    /// it with the gradient as PyTorch's `torch.clone(grad)`.
    public static func applySingle(parameter p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                                   count: Int, state buf: UnsafeMutablePointer<Float>?, firstStep: Bool,
                                   lr: Double, options: Options) {
        let constants = SGDConstants(
            weightDecay: Float(options.weightDecay), momentum: Float(options.momentum),
            keep: Float(1 - options.dampening), negLR: Float(-lr), nesterov: options.nesterov, firstStep: firstStep)
        forEachChunk(count) { start, end in
            sgdKernel(p, g, buf, start, end, constants)
        }
    }

    /// Array form of `applySingle` for tests and small tensors: returns the new parameter and state.
    public static func applySingle(parameter: [Float], gradient: [Float], state: SGDState, lr: Double,
                                   options: Options) -> ([Float], SGDState) {
        precondition(parameter.count == gradient.count, "SGD.applySingle: \(gradient.count) gradients for \(parameter.count) values")
        var p = parameter, s = state
        let first = options.momentum != 0 && s.momentumBuffer.isEmpty
        if first { s.momentumBuffer = [Float](repeating: 0, count: p.count) }
        p.withUnsafeMutableBufferPointer { pb in
            gradient.withUnsafeBufferPointer { gb in
                if options.momentum == 0 {
                    applySingle(parameter: pb.baseAddress!, gradient: gb.baseAddress!, count: pb.count, state: nil,
                                firstStep: false, lr: lr, options: options)
                } else {
                    s.momentumBuffer.withUnsafeMutableBufferPointer { bb in
                        applySingle(parameter: pb.baseAddress!, gradient: gb.baseAddress!, count: pb.count,
                                    state: bb.baseAddress, firstStep: first, lr: lr, options: options)
                    }
                }
            }
        }
        return (p, s)
    }

    public func stateArrays() -> [NamedArray] {
        var out: [NamedArray] = []
        for (i, p) in parameters.enumerated() where !states[i].momentumBuffer.isEmpty {
            out.append(NamedArray(name: names[i] + ".momentum_buffer", shape: p.shape,
                                  values: logicalValues(states[i].momentumBuffer, shape: p.shape, layout: p.layout)))
        }
        return out
    }

    public func loadStateArrays(_ arrays: [NamedArray]) throws {
        let grouped = try groupState(arrays, names: names, fields: ["momentum_buffer"])
        var loaded = Array(repeating: SGDState(), count: parameters.count)
        for (i, p) in parameters.enumerated() {
            guard let buffer = grouped[names[i]]?["momentum_buffer"] else { continue }
            guard buffer.shape == p.shape else {
                throw OptimError.stateShapeMismatch(key: buffer.name, actual: buffer.shape, expected: p.shape)
            }
            loaded[i].momentumBuffer = storedValues(buffer.values, shape: p.shape, layout: p.layout)
        }
        states = loaded
    }
}
