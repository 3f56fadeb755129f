import Foundation
import Testing
import Tensors
@testable import NN
@testable import PoseModels

@Suite("PoseNet structure")
struct PoseNetStructureTests {
    @Test("parameter counts equal the paper's (res50, res50_3, res101) and the same reading for res50_2/4")
    func parameterCounts() throws {
        let expected: [(String, HeadWidth, Int)] = [
            ("res50", .paper, 33_999_697), ("res50_2", .paper, 34_148_277), ("res50_3", .paper, 34_450_316),
            ("res50_4", .paper, 34_554_781), ("res101", .paper, 52_991_825), ("res50_3", .fixed, 34_147_699),
        ]
        for (name, width, count) in expected {
            let model = PoseNet(name: try ModelName(parsing: name), options: ModelOptions(width: width))
            #expect(model.parameterCount() == count, "\(name) \(width)")
        }
    }

    @Test("state dict keys and shapes equal PyTorch's for every model name and width")
    func stateDictShapesMatchPyTorch() throws {
        let fixture = try StateDictShapesFixture.load()
        for model in fixture.models {
            let width = HeadWidth(rawValue: model.width)!
            let ours = PoseNet(name: try ModelName(parsing: model.name), options: ModelOptions(width: width))
            let reference = fixture.shapes(of: model.name, width: model.width)!
            #expect(ours.stateShapes() == reference, "\(model.name) \(model.width)")
            #expect(ours.parameterCount() == model.param_count, "\(model.name) \(model.width)")
        }
    }

    @Test("model names parse, and unknown names are errors that list the valid form")
    func modelNames() throws {
        #expect(try ModelName(parsing: "res50_3") == ModelName(depth: 50, scales: 3))
        #expect(try ModelName(parsing: "res18") == ModelName(depth: 18, scales: 1))
        for bad in ["res51", "res50_1", "res50_5", "resnet50", "res50_3_2", ""] {
            #expect(throws: ModelError.unknownName(bad)) { try ModelName(parsing: bad) }
        }
        #expect(ModelName.all.count == 20)
    }

    @Test("strict loading names missing, unexpected and wrong-shape keys and loads nothing")
    func strictLoading() throws {
        let model = PoseNet(name: ModelName(depth: 18, scales: 3))
        var dict = counterStateDict(shapes: model.stateShapes())
        dict["final_layers.0.weight"] = TensorData(shape: [17, 255, 1, 1], floats: .init(repeating: 0, count: 17 * 255))
        dict.removeValue(forKey: "layer1.0.conv1.weight")
        dict["fc.weight"] = TensorData(shape: [2], floats: [1, 2])
        let before = model.stateDict()
        do {
            try model.loadStateDict(dict, file: "w.safetensors")
            Issue.record("loading a mismatched state dict succeeded")
        } catch {
            let message = "\(error)"
            #expect(message.hasPrefix("w.safetensors: "))
            #expect(message.contains("1 missing keys (layer1.0.conv1.weight)"))
            #expect(message.contains("1 unexpected keys (fc.weight)"))
            #expect(message.contains("final_layers.0.weight has shape [17, 255, 1, 1], expected [17, 256, 1, 1]"))
            #expect(!message.contains("\n"))
        }
        #expect(model.stateDict() == before)
    }

    @Test("a state dict saved and loaded through safetensors round-trips exactly")
    func safetensorsRoundTrip() throws {
        let model = PoseNet(name: ModelName(depth: 18, scales: 2))
        model.initializeWeights(seed: 3)
        let folder = try NNFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("w.safetensors")
        try SafetensorsFile.write(model.stateDict(), to: url)
        let other = PoseNet(name: ModelName(depth: 18, scales: 2))
        try other.loadStateDict(SafetensorsFile.read(url).tensors, file: url.lastPathComponent)
        #expect(other.stateDict() == model.stateDict())
    }
}

/// Outputs, loss, gradients and running statistics against PyTorch on the counter-weight fixtures.
@Suite("PoseNet matches PyTorch")
struct PoseNetParityTests {
    static func model(for fixture: ModelParityFixture, layout: Layout) throws -> PoseNet {
        let options = ModelOptions(width: HeadWidth(rawValue: fixture.width)!,
                                   upsample: UpsampleMode(rawValue: fixture.upsample)!, joints: fixture.joints)
        let model = PoseNet(name: try ModelName(parsing: fixture.model), options: options)
        try model.loadStateDict(counterStateDict(shapes: model.stateShapes()), file: "counter weights")
        model.backbone.activationLayout = layout
        return model
    }

    /// The backbone layouts to test: blocked (3×3 convolutions as Winograd) where the CPU has its kernels,
    /// and channelsLast (direct convolutions) always.
    static let layouts: [Layout] = Layout.blocked.isAvailable ? [.blocked, .channelsLast] : [.channelsLast]

    static func maxAbs(_ values: [Float]) -> Float { values.map { abs($0) }.max() ?? 0 }

    @Test("eval-mode output within 1e-4 of max|ref|", arguments: ModelParityFixture.cases, layouts)
    func evalOutput(name: String, layout: Layout) throws {
        let fixture = try ModelParityFixture.load(name)
        let model = try Self.model(for: fixture, layout: layout)
        model.eval()
        let y = Tape.withoutGrad { model(Tensor(shape: fixture.input.shape, values: fixture.inputValues)) }
        let reference = try fixture.evalOutput().floats()
        #expect(y.shape == fixture.eval.shape)
        let error = zip(y.toArray(), reference).map { abs($0 - $1) }.max()!
        #expect(error <= 1e-4 * Self.maxAbs(reference), "max error \(error)")
    }

    @Test("train mode: output, loss, every gradient (1e-3 of max|ref grad|) and running stats (1e-5)",
          arguments: ModelParityFixture.cases, layouts)
    func trainStep(name: String, layout: Layout) throws {
        let fixture = try ModelParityFixture.load(name)
        let model = try Self.model(for: fixture, layout: layout)
        model.train()
        model.requiresGrad(true)
        let x = Tensor(shape: fixture.input.shape, values: fixture.inputValues)
        x.requiresGrad = true
        let y = model(x)
        let reference = try fixture.trainOutput().floats()
        let outputError = zip(y.toArray(), reference).map { abs($0 - $1) }.max()!
        #expect(outputError <= 1e-4 * Self.maxAbs(reference), "output error \(outputError)")
        let loss = mseLoss(y, Tensor(shape: fixture.train.target.shape, values: fixture.targetValues))
        #expect(abs(Double(loss.item()) - fixture.train.loss) <= 1e-5 * abs(fixture.train.loss))
        backward(loss)

        var gradients = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.key, $0.tensor.grad) })
        gradients["input"] = x.grad
        #expect(Set(gradients.keys) == Set(fixture.train.grads.keys))
        for (key, ref) in fixture.train.grads {
            guard let g = gradients[key] ?? nil else {
                Issue.record("\(key): no gradient")
                continue
            }
            let values = g.toArray()
            let tolerance = 1e-3 * Float(ref.max_abs)
            for (i, v) in zip(ref.indices, ref.values) {
                #expect(abs(values[i] - v) <= tolerance, "\(key)[\(i)] = \(values[i]), expected \(v)")
            }
            let l2 = values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(abs(l2 - ref.l2) <= 1e-3 * ref.l2 + 1e-12, "\(key) l2 \(l2), expected \(ref.l2)")
            #expect(abs(Double(Self.maxAbs(values)) - ref.max_abs) <= 1e-3 * ref.max_abs + 1e-12, "\(key) max")
        }

        let state = Dictionary(uniqueKeysWithValues: model.namedState().map { ($0.key, $0.value) })
        for (key, ref) in fixture.train.running_stats {
            guard case .buffer(let t)? = state[key] else {
                Issue.record("\(key): not a buffer")
                continue
            }
            let error = zip(t.toArray(), ref).map { abs($0 - $1) }.max()!
            #expect(error <= 1e-5, "\(key) error \(error)")
        }
        if case .counter(let c)? = state["bn1.num_batches_tracked"] {
            #expect(Int(c.value) == fixture.train.num_batches_tracked)
        }
    }
}
