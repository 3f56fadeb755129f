// `model.pretrained`: ImageNet ResNet weights into the backbone only. Accepts a .safetensors file with
// torchvision names (`conv1.weight`, `bn1.*`, `layer1.0.conv1.weight`, …; `fc.*` is skipped) or a PyTorch
// .pth/.pt/.tar checkpoint read by `TorchImport` (backbone-only). The head keeps its initialisation.
import Foundation
import NN
import PoseModels

/// Loads the backbone entries of `url` into `model` (strict for the backbone: every backbone key must be
/// present with its shape; `num_batches_tracked` may be absent, as in old torchvision files). Returns report lines.
public func loadPretrainedBackbone(from url: URL, into model: PoseNet) throws -> [String] {
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw TrainingError.pretrained(file: url.path, reason: "file not found (expected ImageNet ResNet weights: .safetensors with torchvision names, or a .pth)")
    }
    let expected = model.stateShapes()
    var tensors: [String: TensorData]
    var lines: [String]
    switch url.pathExtension.lowercased() {
    case "safetensors":
        let file = try SafetensorsFile.read(url).tensors
        tensors = file.filter { expected[$0.key] != nil && !isHeadKey($0.key) }
        let skipped = file.keys.filter { tensors[$0] == nil }.sorted()
        var added: [String] = []
        for key in expected.keys where key.hasSuffix("num_batches_tracked") && !isHeadKey(key) && tensors[key] == nil {
            tensors[key] = TensorData(shape: [], int64s: [0])
            added.append(key)
        }
        let comparison = compareStateDict(tensors, expected: expected, backboneOnly: true)
        if let error = comparison.error(file: url.path) { throw error }
        lines = ["pretrained \(url.path): loaded \(comparison.matched.count) backbone tensors"
                    + (added.isEmpty ? "" : " (\(added.count) num_batches_tracked absent, set to 0)")
                    + "; skipped \(skipped.count)" + (skipped.isEmpty ? "" : ": " + skipped.prefix(8).joined(separator: ", ")
                    + (skipped.count > 8 ? ", …" : ""))]
    case "pth", "pt", "tar", "bin", "ckpt":
        let result = try TorchImport.convert(from: url, expected: expected, backboneOnly: true)
        tensors = result.mapped.tensors
        let report = result.mapped.report
        lines = ["pretrained \(url.path): loaded \(report.loaded.count) backbone tensors; skipped \(report.skipped.count)"
                    + (report.skipped.isEmpty ? "" : ": " + report.skipped.prefix(8).map(\.description).joined(separator: ", "))]
    default:
        throw TrainingError.pretrained(file: url.path, reason: "unknown extension '.\(url.pathExtension)' (expected .safetensors or .pth)")
    }
    var state = model.stateDict()
    for (key, value) in tensors { state[key] = value }
    try model.loadStateDict(state, file: url.path)
    return lines
}

/// `deconv_layers.*` and `final_layer(s).*`: the keys a backbone file does not provide.
private func isHeadKey(_ key: String) -> Bool { key.hasPrefix("deconv_layers.") || key.hasPrefix("final_layer") }
