import Foundation
import NN
import Testing

/// sum, l2 and max|x| in Double, as the fixture script computes them.
private func summarize(_ values: [Float]) -> (sum: Double, l2: Double, maxAbs: Double) {
    var (sum, squares, maxAbs) = (0.0, 0.0, 0.0)
    for v in values.lazy.map(Double.init) {
        sum += v
        squares += v * v
        maxAbs = max(maxAbs, abs(v))
    }
    return (sum, squares.squareRoot(), maxAbs)
}

/// |a − b| within `relative` of the larger magnitude (summation order differs from PyTorch's).
private func close(_ a: Double, _ b: Double, relative: Double = 1e-9) -> Bool {
    abs(a - b) <= relative * max(abs(a), abs(b), 1e-30)
}

@Suite("Model parity fixtures are self-consistent")
struct ModelParityFixtureTests {
    @Test("each fixture decodes; its outputs, loss and sample indices agree with the recorded summaries",
          arguments: ModelParityFixture.cases)
    func fixtureIsConsistent(name: String) throws {
        let fixture = try ModelParityFixture.load(name)
        #expect(fixture.case == name)
        #expect(fixture.input.shape == [2, 3, 64, 64])
        for (summary, tensor) in [
            ((fixture.eval.sum, fixture.eval.l2, fixture.eval.max_abs), try fixture.evalOutput()),
            ((fixture.train.sum, fixture.train.l2, fixture.train.max_abs), try fixture.trainOutput()),
        ] {
            #expect(tensor.shape == [2, 17, 16, 16])
            let s = summarize(tensor.floats())
            #expect(close(s.sum, summary.0) && close(s.l2, summary.1) && close(s.maxAbs, summary.2))
        }
        // The loss recomputed from the saved output and the Swift-made target: the target matches PyTorch's.
        let out = try fixture.trainOutput().floats()
        let target = fixture.targetValues
        let mse = zip(out, target).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(out.count)
        #expect(close(mse, fixture.train.loss, relative: 1e-6))

        var parameters = 0
        for (key, gradient) in fixture.train.grads {
            let count = gradient.shape.reduce(1, *)
            if key != "input" { parameters += count }
            #expect(gradient.indices == counterSampleIndices(key: key, count: count), "\(key)")
            #expect(gradient.values.allSatisfy { Double(abs($0)) <= gradient.max_abs }, "\(key)")
        }
        #expect(fixture.train.grads["input"]?.shape == fixture.input.shape)
        #expect(parameters == fixture.param_count)
        #expect(!fixture.train.running_stats.isEmpty)
        for (key, values) in fixture.train.running_stats {
            #expect(fixture.train.running_stats_scope == "all" || key.hasPrefix("deconv_layers."), "\(key)")
            if key.hasSuffix("running_var") { #expect(values.allSatisfy { $0 > 0 }, "\(key)") }
        }
    }
}
