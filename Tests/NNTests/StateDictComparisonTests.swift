import Foundation
import NN
import Testing

@Suite("compareStateDict: strict key/shape/dtype check against a model")
struct StateDictComparisonTests {
    @Test("a state dict with exactly the model's keys and shapes is exact", arguments: ["res18", "res50", "res50_3"])
    func exactMatch(model: String) throws {
        let shapes = try #require(try StateDictShapesFixture.load().shapes(of: model))
        let comparison = compareStateDict(counterStateDict(shapes: shapes), expected: shapes)
        #expect(comparison.isExact)
        #expect(comparison.matched.count == shapes.count)
        #expect(comparison.error(file: "w.pth") == nil)
    }

    @Test("a wrong-model checkpoint (res101 into res50) is refused with missing/unexpected keys named")
    func wrongModel() throws {
        let fixture = try StateDictShapesFixture.load()
        let res50 = try #require(fixture.shapes(of: "res50"))
        let res101 = try #require(fixture.shapes(of: "res101"))
        let comparison = compareStateDict(counterStateDict(shapes: res101), expected: res50)
        #expect(!comparison.isExact)
        #expect(comparison.missing.isEmpty)
        #expect(comparison.unexpected.count == res101.count - res50.count)
        #expect(comparison.unexpected.first == "layer3.10.bn1.bias")
        let message = try #require(comparison.error(file: "res101.pth")).description
        #expect(message.hasPrefix("res101.pth: \(comparison.unexpected.count) unexpected keys (layer3.10.bn1.bias, "))
    }

    @Test("a shape mismatch names key, shape and expected shape; SimpleBaseline vs multi-scale heads differ")
    func shapeMismatch() throws {
        let fixture = try StateDictShapesFixture.load()
        let res50 = try #require(fixture.shapes(of: "res50"))
        var loaded = counterStateDict(shapes: res50)
        loaded["layer1.0.conv2.weight"] = TensorData(shape: [64, 64, 1, 1], floats: [Float](repeating: 0, count: 4096))
        let comparison = compareStateDict(loaded, expected: res50)
        #expect(comparison.shapeMismatches == [.init(key: "layer1.0.conv2.weight", shape: [64, 64, 1, 1], expected: [64, 64, 3, 3])])
        #expect(comparison.error(file: "w.pth")?.description
            == "w.pth: layer1.0.conv2.weight has shape [64, 64, 1, 1], expected [64, 64, 3, 3]")

        // A SimpleBaseline checkpoint into res50_3: final_layer.* unexpected, final_layers.* missing, deconv 2/3 shapes.
        let res50_3 = try #require(fixture.shapes(of: "res50_3"))
        let multi = compareStateDict(counterStateDict(shapes: res50), expected: res50_3)
        #expect(multi.unexpected == ["final_layer.bias", "final_layer.weight"])
        #expect(multi.missing.allSatisfy { $0.hasPrefix("final_layers.") })
        #expect(!multi.shapeMismatches.isEmpty)
    }

    @Test("missing keys and a float num_batches_tracked are reported")
    func missingAndDType() throws {
        let res18 = try #require(try StateDictShapesFixture.load().shapes(of: "res18"))
        var loaded = counterStateDict(shapes: res18)
        loaded["bn1.running_var"] = nil
        loaded["bn1.num_batches_tracked"] = TensorData(shape: [], floats: [0])
        let comparison = compareStateDict(loaded, expected: res18)
        #expect(comparison.missing == ["bn1.running_var"])
        #expect(comparison.dtypeMismatches == ["bn1.num_batches_tracked"])
        #expect(comparison.error(file: "w.pth")?.description
            == "w.pth: 1 missing keys (bn1.running_var); wrong dtype for bn1.num_batches_tracked")
    }

    @Test("backboneOnly ignores the model's head keys, so an ImageNet backbone loads into any head")
    func backboneOnly() throws {
        let fixture = try StateDictShapesFixture.load()
        let backbone = try #require(fixture.backbones["res50"])
        let res50_3 = try #require(fixture.shapes(of: "res50_3"))
        let loaded = counterStateDict(shapes: backbone)
        #expect(!compareStateDict(loaded, expected: res50_3).isExact)
        let comparison = compareStateDict(loaded, expected: res50_3, backboneOnly: true)
        #expect(comparison.isExact)
        #expect(comparison.matched.count == backbone.count)
    }

    @Test("the torchvision-style fixture, mapped, matches the backbone of a model with its (tiny) shapes")
    func fixtureAgainstItsShapes() throws {
        let want = try #require(try TorchCheckpointFixture.load().models["torchvision_resnet18.pth"])
        let mapped = mapTorchStateDict(try TorchCheckpoint.read(TorchCheckpointFixture.url("torchvision_resnet18.pth")))
        var expected: [String: [Int]] = [:]
        for (raw, tensor) in want.tensors where !raw.hasPrefix("fc.") { expected[tensor.counter] = tensor.shape }
        expected["deconv_layers.0.weight"] = [16, 4, 4, 4]
        #expect(compareStateDict(mapped.tensors, expected: expected, backboneOnly: true).isExact)
        #expect(compareStateDict(mapped.tensors, expected: expected).missing == ["deconv_layers.0.weight"])
    }
}
