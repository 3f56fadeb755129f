// Adam, PyTorch `torch.optim.Adam` (`_single_tensor_adam`, amsgrad=False): L2 weight decay added to
// the gradient (not AdamW), and torch's bias correction order:
//   step += 1
//   g = grad + weight_decay · p
//   exp_avg    = lerp(exp_avg, g, 1 − β1)
//   exp_avg_sq = β2 · exp_avg_sq + (1 − β2) · g²
//   bias_correction1 = 1 − β1^step;  bias_correction2 = 1 − β2^step        (in Double, as Python floats)
//   denom = sqrt(exp_avg_sq) / sqrt(bias_correction2) + eps
//   p = p − (lr / bias_correction1) · exp_avg / denom
// Weight decay and lerp are fused multiply-adds, the rest separately rounded, as torch's vectorised CPU
// kernels (`add(alpha=)`, `lerp`, `addcmul`, `addcdiv`): the updates equal torch.optim's bit for bit
// on the fixtures.
import Foundation
import Tensors

/// State of one parameter under Adam: `step`, `exp_avg` and `exp_avg_sq` (stored order; empty before the first step).
public struct AdamState: Sendable, Equatable {
    public var step: Int = 0
    public var expAvg: [Float] = []
    public var expAvgSq: [Float] = []
    public init(step: Int = 0, expAvg: [Float] = [], expAvgSq: [Float] = []) {
        self.step = step
        self.expAvg = expAvg
        self.expAvgSq = expAvgSq
    }
}

/// `torch.optim.Adam` (amsgrad off) over a list of parameters (one parameter group).
public final class Adam: Optimizer {
    /// Hyper-parameters of `torch.optim.Adam` except the learning rate, which `step(lr:)` takes.
    public struct Options: Sendable, Equatable {
        public var beta1: Double
        public var beta2: Double
        public var eps: Double
        /// L2 penalty added to the gradient (torch `Adam(weight_decay=)`, not AdamW's decoupled decay).
        public var weightDecay: Double

        public init(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0) {
            self.beta1 = beta1
            self.beta2 = beta2
            self.eps = eps
            self.weightDecay = weightDecay
        }

        /// Checks the ranges `torch.optim.Adam.__init__` checks.
        public func validate() throws {
            guard eps >= 0 else { throw OptimError.invalidArgument("invalid epsilon value: \(eps)") }
            guard (0..<1).contains(beta1) else { throw OptimError.invalidArgument("invalid beta parameter at index 0: \(beta1)") }
            guard (0..<1).contains(beta2) else { throw OptimError.invalidArgument("invalid beta parameter at index 1: \(beta2)") }
            guard weightDecay >= 0 else { throw OptimError.invalidArgument("invalid weight_decay value: \(weightDecay)") }
        }
    }

    public let parameters: [Tensor]
    public let names: [String]
    public var options: Options
    /// One state per parameter, in `parameters` order.
    public private(set) var states: [AdamState]

    /// - Parameters:
    ///   - parameters: the tensors to update (their `grad` is read at each step).
    ///   - names: checkpoint names (state-dict keys); default `"0"`, `"1"`, … as PyTorch.
    public init(parameters: [Tensor], names: [String]? = nil, betas: (Double, Double) = (0.9, 0.999),
                eps: Double = 1e-8, weightDecay: Double = 0) throws {
        let options = Options(beta1: betas.0, beta2: betas.1, eps: eps, weightDecay: weightDecay)
        try options.validate()
        self.parameters = parameters
        self.names = defaultNames(parameters.count, names)
        self.options = options
        self.states = Array(repeating: AdamState(), count: parameters.count)
    }

    public func step(lr: Double) {
        for (i, p) in parameters.enumerated() {
            withParameterAndGradient(p) { param, grad, count in
                // Moved out of the array (no copy: the array gives up its reference) so that the two
                // buffers can be borrowed at once without overlapping accesses to `states`.
                var s = states[i]
                states[i] = AdamState()
                if s.expAvg.isEmpty {
                    s.expAvg = [Float](repeating: 0, count: count)
                    s.expAvgSq = [Float](repeating: 0, count: count)
                }
                s.step += 1
                let step = s.step
                s.expAvg.withUnsafeMutableBufferPointer { m in
                    s.expAvgSq.withUnsafeMutableBufferPointer { v in
                        Adam.applySingle(parameter: param, gradient: grad, count: count, expAvg: m.baseAddress!,
                                         expAvgSq: v.baseAddress!, step: step, lr: lr, options: options)
                    }
                }
                states[i] = s
            }
        }
    }

    /// One parameter's update in place: the pure step behind `step(lr:)` (mlx-swift's `applySingle`).
    /// `step` is the already-incremented step count (1 on the first update); `expAvg` and `expAvgSq`
    /// hold `count` floats each (zeros before the first update).
    public static func applySingle(parameter p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                                   count: Int, expAvg m: UnsafeMutablePointer<Float>,
                                   expAvgSq v: UnsafeMutablePointer<Float>, step: Int, lr: Double, options: Options) {
        // Scalars as torch computes them: Python floats (Double), rounded to float32 by the kernels.
        let biasCorrection1 = 1 - pow(options.beta1, Double(step))
        let biasCorrection2 = 1 - pow(options.beta2, Double(step))
        let stepSize = lr / biasCorrection1
        let bc2Sqrt = Float(biasCorrection2.squareRoot())
        let negStepSize = Float(-stepSize)
        let constants = AdamConstants(
            beta2: Float(options.beta2), weight1: Float(1 - options.beta1), weight2: Float(1 - options.beta2),
            bc2Sqrt: bc2Sqrt, negStepSize: negStepSize, eps: Float(options.eps),
            weightDecay: Float(options.weightDecay))
        forEachChunk(count) { start, end in
            adamKernel(p, g, m, v, start, end, constants)
        }
    }

    /// Array form of `applySingle` for tests and small tensors: increments the step and returns the
    /// new parameter and state.
    public static func applySingle(parameter: [Float], gradient: [Float], state: AdamState, lr: Double,
                                   options: Options) -> ([Float], AdamState) {
        precondition(parameter.count == gradient.count, "Adam.applySingle: \(gradient.count) gradients for \(parameter.count) values")
        var p = parameter, s = state
        if s.expAvg.isEmpty {
            s.expAvg = [Float](repeating: 0, count: p.count)
            s.expAvgSq = [Float](repeating: 0, count: p.count)
        }
        s.step += 1
        let step = s.step
        p.withUnsafeMutableBufferPointer { pb in
            gradient.withUnsafeBufferPointer { gb in
                s.expAvg.withUnsafeMutableBufferPointer { mb in
                    s.expAvgSq.withUnsafeMutableBufferPointer { vb in
                        applySingle(parameter: pb.baseAddress!, gradient: gb.baseAddress!, count: pb.count,
                                    expAvg: mb.baseAddress!, expAvgSq: vb.baseAddress!, step: step, lr: lr,
                                    options: options)
                    }
                }
            }
        }
        return (p, s)
    }

    public func stateArrays() -> [NamedArray] {
        var out: [NamedArray] = []
        for (i, p) in parameters.enumerated() where states[i].step > 0 {
            let s = states[i]
            out.append(NamedArray(name: names[i] + ".step", shape: [], values: [Float(s.step)]))
            out.append(NamedArray(name: names[i] + ".exp_avg", shape: p.shape,
                                  values: logicalValues(s.expAvg, shape: p.shape, layout: p.layout)))
            out.append(NamedArray(name: names[i] + ".exp_avg_sq", shape: p.shape,
                                  values: logicalValues(s.expAvgSq, shape: p.shape, layout: p.layout)))
        }
        return out
    }

    public func loadStateArrays(_ arrays: [NamedArray]) throws {
        let fields = ["step", "exp_avg", "exp_avg_sq"]
        let grouped = try groupState(arrays, names: names, fields: fields)
        var loaded = Array(repeating: AdamState(), count: parameters.count)
        for (i, p) in parameters.enumerated() {
            guard let entry = grouped[names[i]] else { continue }
            for field in fields where entry[field] == nil {
                throw OptimError.missingStateField(key: names[i] + "." + field)
            }
            let step = entry["step"]!, m = entry["exp_avg"]!, v = entry["exp_avg_sq"]!
            guard step.values.count == 1, let steps = Int(exactly: step.values[0]), steps >= 1 else {
                throw OptimError.stateShapeMismatch(key: step.name, actual: step.shape, expected: [])
            }
            for array in [m, v] where array.shape != p.shape {
                throw OptimError.stateShapeMismatch(key: array.name, actual: array.shape, expected: p.shape)
            }
            loaded[i] = AdamState(step: steps,
                                  expAvg: storedValues(m.values, shape: p.shape, layout: p.layout),
                                  expAvgSq: storedValues(v.values, shape: p.shape, layout: p.layout))
        }
        states = loaded
    }
}
