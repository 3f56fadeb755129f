import Foundation
import NN
import Testing

/// The SwiftPose key → shape map of a model fixture (what the model registry will provide for real models).
private func expectedShapes(_ file: String) throws -> [String: [Int]] {
    let want = try #require(try TorchCheckpointFixture.load().models[file])
    var shapes: [String: [Int]] = [:]
    for (raw, tensor) in want.tensors where !want.skipped.contains(raw) { shapes[tensor.counter] = tensor.shape }
    for key in want.added { shapes[key] = [] }
    return shapes
}

@Suite("TorchImport: checkpoint → checked safetensors")
struct TorchImportTests {
    @Test("the SimpleBaseline legacy release converts strictly, adds num_batches_tracked, and records BGR")
    func convertsSimpleBaseline() throws {
        let folder = try NNFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let shapes = try expectedShapes("simplebaseline_legacy.pth.tar")
        let result = try TorchImport.convert(
            from: TorchCheckpointFixture.url("simplebaseline_legacy.pth.tar"), expected: shapes, backboneOnly: false)
        #expect(result.comparison.isExact)
        #expect(result.lines.first == "source: simplebaseline (legacy format), colour order bgr")
        #expect(result.lines.contains("added (\(result.mapped.report.added.count)):"))
        #expect(result.lines.contains("missing (0)"))
        let out = folder.appendingPathComponent("sb.safetensors")
        try TorchImport.write(result, to: out)
        let (tensors, metadata) = try SafetensorsFile.read(out)
        #expect(metadata == ["color_order": "bgr", "source": "simplebaseline"])
        #expect(Set(tensors.keys) == Set(shapes.keys))
    }

    @Test("torchvision weights import with --backbone-only into a model with a head; strict mode refuses them")
    func backboneOnly() throws {
        var shapes = try expectedShapes("torchvision_resnet18.pth")
        shapes["deconv_layers.0.weight"] = [16, 4, 4, 4]
        shapes["final_layer.weight"] = [3, 4, 1, 1]
        let url = TorchCheckpointFixture.url("torchvision_resnet18.pth")
        let result = try TorchImport.convert(from: url, expected: shapes, backboneOnly: true)
        #expect(result.notImported == ["deconv_layers.0.weight", "final_layer.weight"])
        #expect(result.mapped.report.metadata == ["color_order": "rgb", "source": "torchvision"])
        #expect(result.lines.contains("  fc.weight (ImageNet classifier; SwiftPose has no fc layer)"))

        let error = NNFixtures.malformedMessage { _ = try TorchImport.convert(from: url, expected: shapes, backboneOnly: false) }
        #expect(error == "\(url.path): 2 missing keys (deconv_layers.0.weight, final_layer.weight)")
    }

    @Test("a wrong-model checkpoint fails with a one-line error and writes nothing")
    func wrongModelWritesNothing() throws {
        var shapes = try expectedShapes("mmpose0.pth")
        shapes["layer1.0.conv1.weight"] = [2, 2, 1, 1]
        let url = TorchCheckpointFixture.url("mmpose0.pth")
        let error = NNFixtures.malformedMessage { _ = try TorchImport.convert(from: url, expected: shapes, backboneOnly: false) }
        #expect(error == "\(url.path): layer1.0.conv1.weight has shape [2, 2, 3, 3], expected [2, 2, 1, 1]")
    }
}
