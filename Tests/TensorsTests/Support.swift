import Foundation
@testable import Tensors

/// One PyTorch reference case from Fixtures/ops.json (Tools/fixtures/make_op_fixtures.py).
struct OpCase: Decodable {
    struct Values: Decodable {
        let shape: [Int]
        let values: [Float]
    }
    let name: String
    let inputs: [Values]
    let output: Values
    let upstream: [Float]
    let grads: [[Float]]
    let target: [Float]?
    let joint_weights: [Float]?
    let running_mean_before: [Float]?
    let running_var_before: [Float]?
    let running_mean_after: [Float]?
    let running_var_after: [Float]?
}

enum Fixtures {
    static let opCases: [String: OpCase] = {
        struct File: Decodable { let cases: [OpCase] }
        let url = Bundle.module.url(forResource: "Fixtures/ops", withExtension: "json")!
        let file = try! JSONDecoder().decode(File.self, from: Data(contentsOf: url))
        return Dictionary(uniqueKeysWithValues: file.cases.map { ($0.name, $0) })
    }()
}

/// Largest |a − b| divided by max(|b|, 1e-12) over all elements.
func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "relativeError: \(a.count) vs \(b.count) elements")
    let scale = max(b.map { abs($0) }.max() ?? 0, 1e-12)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

/// A small deterministic generator for test data (SplitMix64).
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
    mutating func uniform(_ low: Float = -1, _ high: Float = 1) -> Float {
        low + (high - low) * Float(Double(next() >> 11) * 0x1p-53)
    }
    mutating func tensor(_ shape: [Int], _ low: Float = -1, _ high: Float = 1) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in uniform(low, high) })
    }
}

/// Runs a fixture case: builds the inputs (optionally channelsLast), applies `op`, backpropagates
/// the case's upstream gradient and returns (output, input grads) in logical order.
func runCase(_ c: OpCase, channelsLast: Bool = false, op: ([Tensor]) -> Tensor) -> (output: [Float], grads: [[Float]]) {
    let inputs = c.inputs.map { v -> Tensor in
        let t = Tensor(shape: v.shape, values: v.values)
        let placed = channelsLast && v.shape.count == 4 ? t.withLayout(.channelsLast) : t
        placed.requiresGrad = true
        return placed
    }
    let y = op(inputs)
    let output = y.toArray()
    backward(y, gradient: Tensor(shape: c.output.shape, values: c.upstream).withLayout(y.layout))
    return (output, inputs.map { $0.grad?.toArray() ?? [] })
}

/// Checks analytic gradients of `f` against central differences for every element of `inputs`;
/// returns the largest error relative to max(|numeric|) per input. The loss is mse(f(x), target).
func finiteDifferenceErrors(_ inputs: [Tensor], epsilon: Float = 1e-2, _ f: @escaping ([Tensor]) -> Tensor) -> [Float] {
    var random = TestRandom(seed: 7)
    for t in inputs { t.requiresGrad = true; t.grad = nil }
    let probe = f(inputs)
    let target = random.tensor(probe.shape)
    Tape.reset()
    let loss = { () -> Double in Tape.withoutGrad { Double(mseLoss(f(inputs), target).item()) } }
    let analytic = { () -> [[Float]] in
        let l = mseLoss(f(inputs), target)
        backward(l)
        return inputs.map { $0.grad!.toArray() }
    }()
    var errors: [Float] = []
    for (k, t) in inputs.enumerated() {
        var numeric = [Float](repeating: 0, count: t.count)
        let logical = t.toArray()
        for i in 0..<t.count {
            var plus = logical, minus = logical
            plus[i] += epsilon
            minus[i] -= epsilon
            t.assign(Tensor(shape: t.shape, values: plus))
            let lp = loss()
            t.assign(Tensor(shape: t.shape, values: minus))
            let lm = loss()
            numeric[i] = Float((lp - lm) / Double(2 * epsilon))
        }
        t.assign(Tensor(shape: t.shape, values: logical))
        errors.append(relativeError(analytic[k], numeric))
    }
    return errors
}
