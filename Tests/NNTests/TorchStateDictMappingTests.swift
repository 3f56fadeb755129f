import Foundation
import NN
import Testing

@Suite("mapTorchStateDict: PyTorch names to SwiftPose names")
struct TorchStateDictMappingTests {
    @Test("each fixture maps to SwiftPose keys with the same values; source, colour order and report as expected",
          arguments: ["simplebaseline_dp.pth", "simplebaseline_legacy.pth.tar", "torchvision_resnet18.pth",
                      "mmpose0.pth", "mmpose1_f16.pth"])
    func mapsFixture(file: String) throws {
        let want = try #require(try TorchCheckpointFixture.load().models[file])
        let checkpoint = try TorchCheckpoint.read(TorchCheckpointFixture.url(file))
        let mapped = mapTorchStateDict(checkpoint)
        let report = mapped.report
        #expect(report.source.rawValue == want.source)
        #expect(report.colorOrder.rawValue == want.color_order)
        #expect(report.metadata == ["color_order": want.color_order, "source": want.source])
        #expect(Set(report.renamed.map(\.from)) == Set(want.renamed.keys))
        for pair in report.renamed { #expect(want.renamed[pair.from] == pair.to, "\(pair)") }
        let skippedTensors = report.skipped.map(\.key).filter { want.tensors[$0] != nil }
        #expect(Set(skippedTensors) == Set(want.skipped))
        #expect(Set(report.added) == Set(want.added))

        // Every raw tensor is loaded, renamed or skipped, exactly once.
        let accounted = report.loaded + report.renamed.map(\.from) + skippedTensors
        #expect(accounted.count == want.tensors.count)
        #expect(Set(accounted) == Set(want.tensors.keys))

        // Values follow their keys: SwiftPose key k holds counter values of k.
        let expectedKeys = Set(want.tensors.filter { !want.skipped.contains($0.key) }.map(\.value.counter) + want.added)
        #expect(Set(mapped.tensors.keys) == expectedKeys)
        for (raw, tensor) in want.tensors where !want.skipped.contains(raw) {
            #expect(mapped.tensors[tensor.counter] == tensor.expected(storageDType: want.storage_dtype), "\(raw)")
        }
        for key in want.added { #expect(mapped.tensors[key] == TensorData(shape: [], int64s: [0])) }
    }

    @Test("torchvision's fc.* is dropped and reported as the ImageNet classifier")
    func torchvisionDropsFC() throws {
        let mapped = mapTorchStateDict(try TorchCheckpoint.read(TorchCheckpointFixture.url("torchvision_resnet18.pth")))
        let fc = mapped.report.skipped.filter { $0.key.hasPrefix("fc.") }
        #expect(fc.map(\.description).sorted() == [
            "fc.bias (ImageNet classifier; SwiftPose has no fc layer)",
            "fc.weight (ImageNet classifier; SwiftPose has no fc layer)",
        ])
        #expect(mapped.report.renamed.isEmpty)
    }

    @Test("backboneOnly() drops deconv_layers.* and final_layer.* and reports them")
    func backboneOnly() throws {
        let mapped = mapTorchStateDict(try TorchCheckpoint.read(TorchCheckpointFixture.url("mmpose0.pth")))
        let backbone = mapped.backboneOnly()
        #expect(backbone.tensors.keys.allSatisfy { !$0.hasPrefix("deconv_layers.") && !$0.hasPrefix("final_layer") })
        #expect(backbone.tensors.count == mapped.tensors.count - 20)  // 3 × (deconv weight + 5 BN entries) + final weight and bias
        #expect(backbone.report.skipped.filter { $0.reason == "head dropped (--backbone-only)" }.count == 20)
    }

    @Test("source detection from key names")
    func detection() {
        func source(_ keys: [String]) -> TorchCheckpointSource {
            let tensors = Dictionary(uniqueKeysWithValues: keys.map { ($0, TensorData(shape: [1], floats: [0])) })
            return mapTorchStateDict(TorchCheckpoint(format: .zip, tensors: tensors, keys: keys, wrapperPath: [], skipped: [])).report.source
        }
        #expect(source(["module.conv1.weight", "module.final_layer.weight"]) == .simpleBaseline)
        #expect(source(["conv1.weight", "deconv_layers.0.weight"]) == .simpleBaseline)
        #expect(source(["backbone.conv1.weight", "keypoint_head.final_layer.weight"]) == .mmpose0)
        #expect(source(["backbone.conv1.weight", "head.final_layer.weight"]) == .mmpose1)
        #expect(source(["conv1.weight", "fc.weight"]) == .torchvision)
        #expect(source(["conv1.weight", "final_layers.0.weight"]) == .swiftPose)
    }

    @Test("the converted safetensors file carries the colour order and source in __metadata__")
    func metadataRoundTrip() throws {
        let mapped = mapTorchStateDict(try TorchCheckpoint.read(TorchCheckpointFixture.url("simplebaseline_dp.pth")))
        let folder = try NNFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("w.safetensors")
        try SafetensorsFile.write(mapped.tensors, metadata: mapped.report.metadata, to: url)
        let (tensors, metadata) = try SafetensorsFile.read(url)
        #expect(metadata == ["color_order": "bgr", "source": "simplebaseline"])
        #expect(tensors == mapped.tensors)
    }
}
