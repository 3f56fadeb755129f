import Foundation
import Optim
import Tensors
import Testing

/// Builds the optimizer a fixture case describes.
func makeOptimizer(_ c: OptimizerFixture.Case, parameters: [Tensor], names: [String]) throws -> any Optimizer {
    let o = c.options
    if c.optimizer == "sgd" {
        return try SGD(parameters: parameters, names: names, momentum: o.momentum ?? 0, dampening: o.dampening ?? 0,
                       weightDecay: o.weight_decay ?? 0, nesterov: o.nesterov ?? false)
    }
    let betas = o.betas ?? [0.9, 0.999]
    return try Adam(parameters: parameters, names: names, betas: (betas[0], betas[1]), eps: o.eps ?? 1e-8,
                    weightDecay: o.weight_decay ?? 0)
}

/// The fixture's parameters as tensors; 4-D ones stored channels-last when `channelsLast` (their gradients
/// stay contiguous, so the optimizer must compare them logically).
func makeParameters(_ c: OptimizerFixture.Case, order: [String], channelsLast: Bool) -> [Tensor] {
    order.map { key in
        let shape = c.shapes[key]!
        let plain = Tensor(shape: shape, values: c.initial[key]!)
        guard channelsLast, shape.count == 4 else { return plain }
        let stored = Tensor(zeros: shape, layout: .channelsLast)
        stored.assign(plain)
        return stored
    }
}

// Tolerance: 1e-6 relative (issue 5). torch's CPU kernels may fuse a multiply-add where Swift rounds
// twice, so a few float32 ulps (≤ 2.4e-7 each) of difference are expected; the floor 1e-3 keeps an
// element that is nearly 0 from turning an ulp into a large relative error.
let optimizerTolerance: Float = 1e-6

@Suite("Optimizers match torch.optim")
struct OptimizerTests {
    @Test("SGD and Adam updates over 3 steps equal torch.optim (1e-6 relative; bit for bit on the fixtures)", arguments: [false, true])
    func updatesMatchTorch(channelsLast: Bool) throws {
        let fixture = try OptimizerFixture.load()
        #expect(fixture.cases.count == 8)
        var mismatches = 0
        for c in fixture.cases {
            let params = makeParameters(c, order: fixture.order, channelsLast: channelsLast)
            let optimizer = try makeOptimizer(c, parameters: params, names: fixture.order)
            for (s, step) in c.steps.enumerated() {
                for (key, p) in zip(fixture.order, params) {
                    p.grad = Tensor(shape: c.shapes[key]!, values: step.grads[key]!)
                }
                optimizer.step(lr: step.lr)
                optimizer.zeroGrad()
                for (key, p) in zip(fixture.order, params) {
                    let error = maxRelativeError(p.toArray(), step.params[key]!)
                    #expect(error <= optimizerTolerance, "\(c.name) step \(s + 1) parameter \(key): relative error \(error)")
                    mismatches += zip(p.toArray(), step.params[key]!).filter { $0.bitPattern != $1.bitPattern }.count
                    #expect(p.grad == nil)
                }
            }
        }
        // Fused multiply-adds where torch's vectorised kernels fuse them: bit-identical on these fixtures.
        #expect(mismatches == 0, "\(mismatches) elements differ from torch in their last bits")
    }

    @Test("Exported state equals torch's optimizer state after 3 steps")
    func stateMatchesTorch() throws {
        let fixture = try OptimizerFixture.load()
        for c in fixture.cases {
            let params = makeParameters(c, order: fixture.order, channelsLast: true)
            let optimizer = try makeOptimizer(c, parameters: params, names: fixture.order)
            for step in c.steps {
                for (key, p) in zip(fixture.order, params) { p.grad = Tensor(shape: c.shapes[key]!, values: step.grads[key]!) }
                optimizer.step(lr: step.lr)
            }
            let exported = Dictionary(uniqueKeysWithValues: optimizer.stateArrays().map { ($0.name, $0) })
            var expectedCount = 0
            for key in fixture.order {
                for (field, values) in c.state[key]! {
                    expectedCount += 1
                    let array = try #require(exported["\(key).\(field)"], "\(c.name): no \(key).\(field) exported")
                    #expect(array.shape == (field == "step" ? [] : c.shapes[key]!))
                    let error = maxRelativeError(array.values, values)
                    #expect(error <= optimizerTolerance, "\(c.name) \(key).\(field): relative error \(error)")
                }
            }
            #expect(exported.count == expectedCount, "\(c.name): exported \(exported.keys.sorted())")
        }
    }

    @Test("Restoring exported state continues exactly like an uninterrupted run")
    func stateRoundTripResumesBitIdentically() throws {
        let fixture = try OptimizerFixture.load()
        for c in fixture.cases {
            let grads = { (s: Int, key: String) in Tensor(shape: c.shapes[key]!, values: c.steps[s].grads[key]!) }
            // Uninterrupted: 3 steps.
            let straight = makeParameters(c, order: fixture.order, channelsLast: true)
            let a = try makeOptimizer(c, parameters: straight, names: fixture.order)
            for s in 0..<3 {
                for (key, p) in zip(fixture.order, straight) { p.grad = grads(s, key) }
                a.step(lr: c.steps[s].lr)
            }
            // Interrupted after 2 steps: parameters and state go through their exported (logical) form.
            let first = makeParameters(c, order: fixture.order, channelsLast: false)
            let b = try makeOptimizer(c, parameters: first, names: fixture.order)
            for s in 0..<2 {
                for (key, p) in zip(fixture.order, first) { p.grad = grads(s, key) }
                b.step(lr: c.steps[s].lr)
            }
            let resumed = makeParameters(c, order: fixture.order, channelsLast: true)
            for (p, q) in zip(resumed, first) { p.assign(q) }
            let b2 = try makeOptimizer(c, parameters: resumed, names: fixture.order)
            try b2.loadStateArrays(b.stateArrays())
            for (key, p) in zip(fixture.order, resumed) { p.grad = grads(2, key) }
            b2.step(lr: c.steps[2].lr)
            for (p, q) in zip(resumed, straight) {
                #expect(p.toArray() == q.toArray(), "\(c.name): resumed parameters differ")
            }
            #expect(b2.stateArrays() == a.stateArrays(), "\(c.name): resumed state differs")
        }
    }

    @Test("Parameters without a gradient are left alone and get no state")
    func parametersWithoutGradientAreSkipped() throws {
        let p = Tensor(shape: [2], values: [1, 2]), q = Tensor(shape: [2], values: [3, 4])
        let adam = try Adam(parameters: [p, q], names: ["p", "q"])
        p.grad = Tensor(shape: [2], values: [0.5, -0.5])
        adam.step(lr: 0.1)
        #expect(q.toArray() == [3, 4])
        #expect(adam.states[1].step == 0)
        #expect(adam.stateArrays().map(\.name) == ["p.step", "p.exp_avg", "p.exp_avg_sq"])
        // An empty parameter is harmless.
        let empty = Tensor(zeros: [0, 3])
        empty.grad = Tensor(zeros: [0, 3])
        try Adam(parameters: [empty]).step(lr: 0.1)
        try SGD(parameters: [empty], momentum: 0.9).step(lr: 0.1)
        // The first Adam step moves each element by lr (sign of the gradient), as torch.
        let moved = p.toArray()
        #expect(abs(moved[0] - 0.9) < 1e-6 && abs(moved[1] - 2.1) < 1e-6)
    }

    @Test("The pure array step equals the optimizer's in-place step")
    func pureStepEqualsOptimizerStep() throws {
        let values: [Float] = [0.5, -1.5, 2, 0.25], grad: [Float] = [0.1, 0.2, -0.3, 0.4]
        let options = Adam.Options(beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 1e-2)
        var (pure, state) = (values, AdamState())
        let p = Tensor(shape: [4], values: values)
        let adam = try Adam(parameters: [p], betas: (0.9, 0.99), weightDecay: 1e-2)
        for _ in 0..<3 {
            (pure, state) = Adam.applySingle(parameter: pure, gradient: grad, state: state, lr: 1e-2, options: options)
            p.grad = Tensor(shape: [4], values: grad)
            adam.step(lr: 1e-2)
        }
        #expect(pure == p.toArray())
        #expect(state == adam.states[0])

        let sgdOptions = SGD.Options(momentum: 0.9, nesterov: true)
        var (sgdPure, sgdState) = (values, SGDState())
        let r = Tensor(shape: [4], values: values)
        let sgd = try SGD(parameters: [r], momentum: 0.9, nesterov: true)
        for _ in 0..<3 {
            (sgdPure, sgdState) = SGD.applySingle(parameter: sgdPure, gradient: grad, state: sgdState, lr: 0.1, options: sgdOptions)
            r.grad = Tensor(shape: [4], values: grad)
            sgd.step(lr: 0.1)
        }
        #expect(sgdPure == r.toArray())
        #expect(sgdState == sgd.states[0])
    }

    @Test("Large tensors split across threads update like small ones")
    func chunkedUpdateEqualsSerialUpdate() throws {
        let count = (1 << 18) + 37
        let values = (0..<count).map { Float(($0 * 7919) % 1000) / 500 - 1 }
        let grad = (0..<count).map { Float(($0 * 104729) % 997) / 498.5 - 1 }
        let big = Tensor(shape: [count], values: values)
        let adam = try Adam(parameters: [big], weightDecay: 1e-4)
        big.grad = Tensor(shape: [count], values: grad)
        adam.step(lr: 1e-3)
        // Reference: the same pure step on small slices (below the threading threshold).
        let options = Adam.Options(weightDecay: 1e-4)
        let result = big.toArray()
        for start in stride(from: 0, to: count, by: 4096) {
            let end = min(count, start + 4096)
            let (slice, _) = Adam.applySingle(parameter: Array(values[start..<end]), gradient: Array(grad[start..<end]),
                                              state: AdamState(), lr: 1e-3, options: options)
            #expect(Array(result[start..<end]) == slice)
        }
    }

    @Test("Loading state with an unknown name, a wrong shape or a missing field fails naming the key")
    func badStateIsRejected() throws {
        let p = Tensor(zeros: [2, 3])
        let adam = try Adam(parameters: [p], names: ["conv1.weight"])
        let good = [NamedArray(name: "conv1.weight.step", shape: [], values: [4]),
                    NamedArray(name: "conv1.weight.exp_avg", shape: [2, 3], values: Array(repeating: 0.5, count: 6)),
                    NamedArray(name: "conv1.weight.exp_avg_sq", shape: [2, 3], values: Array(repeating: 0.25, count: 6))]
        try adam.loadStateArrays(good)
        #expect(adam.states[0].step == 4)

        var unknown = good
        unknown[0].name = "conv2.weight.step"
        #expect(throws: OptimError.unknownStateKey("conv2.weight.step")) { try adam.loadStateArrays(unknown) }

        let wrongShape = [good[0], NamedArray(name: "conv1.weight.exp_avg", shape: [3, 2], values: good[1].values), good[2]]
        #expect(throws: OptimError.stateShapeMismatch(key: "conv1.weight.exp_avg", actual: [3, 2], expected: [2, 3])) {
            try adam.loadStateArrays(wrongShape)
        }
        #expect(throws: OptimError.missingStateField(key: "conv1.weight.exp_avg_sq")) {
            try adam.loadStateArrays(Array(good.prefix(2)))
        }
        #expect(OptimError.stateShapeMismatch(key: "conv1.weight.exp_avg", actual: [3, 2], expected: [2, 3]).description
            == "optimizer state: conv1.weight.exp_avg has shape [3, 2], expected [2, 3]")

        let sgd = try SGD(parameters: [p], names: ["w"], momentum: 0.9)
        #expect(throws: OptimError.unknownStateKey("w.exp_avg")) { try sgd.loadStateArrays([good[1]].map {
            NamedArray(name: "w.exp_avg", shape: $0.shape, values: $0.values) }) }
    }

    @Test("Invalid hyper-parameters are rejected as torch does")
    func invalidHyperParametersThrow() {
        #expect(throws: OptimError.self) { try Adam(parameters: [], betas: (1.0, 0.999)) }
        #expect(throws: OptimError.self) { try Adam(parameters: [], eps: -1) }
        #expect(throws: OptimError.self) { try SGD(parameters: [], momentum: 0, nesterov: true) }
        #expect(throws: OptimError.self) { try SGD(parameters: [], weightDecay: -1) }
    }
}
