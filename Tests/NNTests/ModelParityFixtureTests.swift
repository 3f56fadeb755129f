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

    @Test("state_dict_shapes.json lists every model with the DESIGN.md §3 parameter counts")
    func stateDictShapes() throws {
        let fixture = try StateDictShapesFixture.load()
        #expect(fixture.models.count == 5 * 7)
        let pinned: [(String, String, Int)] = [
            ("res50", "paper", 33_999_697), ("res50_2", "paper", 34_148_277), ("res50_3", "paper", 34_450_316),
            ("res50_4", "paper", 34_554_781), ("res101", "paper", 52_991_825), ("res50_3", "fixed", 34_147_699),
        ]
        for (name, width, count) in pinned {
            #expect(fixture.models.first { $0.name == name && $0.width == width }?.param_count == count, "\(name) \(width)")
        }
        let buffers = ["running_mean", "running_var", "num_batches_tracked"]
        for model in fixture.models {
            let shapes = try #require(fixture.shapes(of: model.name, width: model.width))
            #expect(shapes.count == model.state_count, "\(model.name)")
            let trainable = shapes.filter { key, _ in !buffers.contains { key.hasSuffix($0) } }
            #expect(trainable.values.reduce(0) { $0 + $1.reduce(1, *) } == model.param_count, "\(model.name) \(model.width)")
        }
        #expect(fixture.shapes(of: "res50_3")?["deconv_layers.3.weight"] == [273, 273, 4, 4])
        #expect(fixture.shapes(of: "res50_4")?["final_layers.0.weight"] == [17, 2048, 1, 1])
        #expect(fixture.shapes(of: "res50")?["layer1.0.downsample.0.weight"] == [256, 64, 1, 1])
        #expect(fixture.shapes(of: "res18")?["bn1.num_batches_tracked"] == [])
    }
}
