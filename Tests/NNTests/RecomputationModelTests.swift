import Testing
@testable import Tensors
@testable import NN
@testable import PoseModels

/// `withRecomputation` on whole pose networks: the same training step, bit for bit, as keeping every activation.
@Suite("Recomputation in pose networks")
struct RecomputationModelTests {
    /// Basic and bottleneck blocks, the strided and the sub-pixel head deconvolutions, and the multi-scale head
    /// (concatenation, upsampling, channel-padded batch norms of its paper widths), in both backbone layouts.
    static let models = ["res18", "res50", "res18_3", "res50_4"]

    @Test("output, loss, every gradient and running statistics equal those without recomputation",
          arguments: models, PoseNetParityTests.layouts)
    func trainStep(name: String, layout: Layout) throws {
        func step(recompute: Bool) throws -> [String: [Float]] {
            let model = PoseNet(name: try ModelName(parsing: name),
                                options: ModelOptions(joints: 5, baseWidth: 16, headChannels: 32))
            model.initializeWeights(seed: 7)
            model.backbone.activationLayout = layout
            model.train()
            model.requiresGrad(true)
            let x = Tensor(shape: [2, 3, 64, 32], values: counterTensorValues(name: "input", shape: [2, 3, 64, 32]))
            x.requiresGrad = true
            let y = withRecomputation(recompute) { model(x) }
            let loss = mseLoss(y, Tensor(shape: y.shape, values: counterTensorValues(name: "target", shape: y.shape)))
            let rebuiltBefore = Tape.state.rebuildCount
            backward(loss)
            let rebuilt = Tape.state.rebuildCount - rebuiltBefore
            #expect(recompute ? rebuilt > 20 : rebuilt == 0, "\(name) recompute \(recompute): \(rebuilt) rebuilt")
            var values = ["output": y.toArray(), "loss": [loss.item()], "input grad": x.grad!.toArray()]
            for (key, tensor) in model.namedParameters() { values["grad " + key] = tensor.grad?.toArray() }
            for (key, state) in model.namedState() {
                if case .buffer(let t) = state { values[key] = t.toArray() }
            }
            return values
        }
        let kept = try step(recompute: false), rebuilt = try step(recompute: true)
        #expect(kept.keys.count > 20 && kept["grad layer1.0.conv1.weight"]?.contains { $0 != 0 } == true)
        let differing = kept.keys.filter { rebuilt[$0] != kept[$0] }.sorted()
        #expect(differing.isEmpty, "\(name) \(layout): \(differing.count) of \(kept.count) differ, e.g. \(differing.prefix(3))")
    }
}

