// PyTorch checkpoint names → SwiftPose's state_dict names (DESIGN §3), with the colour order the weights expect.
//   SimpleBaseline/HRNet releases  conv1.*, layer1-4.*, deconv_layers.*, final_layer.*  (± `module.`)  BGR input
//   mmpose 0.x                     backbone.*, keypoint_head.deconv_layers.*, keypoint_head.final_layer.*   RGB
//   mmpose 1.x                     backbone.*, head.deconv_layers.*, head.final_layer.*                     RGB
//   torchvision ImageNet ResNet    conv1.*, layer1-4.*, fc.* (dropped)                                      RGB
//   SwiftPose (or its PyTorch twin) the DESIGN §3 names, final_layers.* for multi-scale heads             RGB
// The SimpleBaseline code reads images with cv2.imread and never converts them, so its released models take
// BGR pixels (normalised with the ImageNet mean/std in RGB order, as that code does).

/// The codebase a checkpoint comes from, detected from its keys; raw values go into the converted file's metadata.
public enum TorchCheckpointSource: String, Sendable, CaseIterable {
    case simpleBaseline = "simplebaseline"
    case mmpose0 = "mmpose0"
    case mmpose1 = "mmpose1"
    case torchvision = "torchvision"
    case swiftPose = "swiftpose"

    /// The channel order of the images the checkpoint was trained on.
    public var colorOrder: ColorOrder { self == .simpleBaseline ? .bgr : .rgb }
}

/// Channel order of a model's input images.
public enum ColorOrder: String, Sendable, Codable, CaseIterable {
    case rgb, bgr
}

/// What mapping a checkpoint's keys did: every key of the checkpoint appears in exactly one of
/// `loaded`, `renamed` (by its original name) or `skipped`.
public struct TorchImportReport: Sendable, Equatable {
    public struct Renamed: Sendable, Equatable, CustomStringConvertible {
        public var from: String
        public var to: String
        public init(from: String, to: String) {
            self.from = from
            self.to = to
        }
        public var description: String { "\(from) -> \(to)" }
    }

    public var source: TorchCheckpointSource
    public var colorOrder: ColorOrder
    /// Keys kept under their own name.
    public var loaded: [String] = []
    public var renamed: [Renamed] = []
    /// Keys (and non-tensor entries) left out, with the reason.
    public var skipped: [TorchCheckpoint.Skipped] = []
    /// `num_batches_tracked` entries the checkpoint lacks (torch < 0.4.1 files), added as 0 as PyTorch's BatchNorm does.
    public var added: [String] = []

    /// The converted safetensors file's `__metadata__`: `{"color_order": "bgr", "source": "simplebaseline"}`.
    public var metadata: [String: String] { ["color_order": colorOrder.rawValue, "source": source.rawValue] }
}

/// A checkpoint's tensors under SwiftPose names, with the report of how they got there.
public struct MappedStateDict: Sendable {
    public var tensors: [String: TensorData]
    public var report: TorchImportReport

    /// Key prefixes of SwiftPose's heads; everything else is backbone.
    static let headPrefixes = ["deconv_layers.", "final_layer.", "final_layers."]
    /// Key prefixes of every SwiftPose state_dict entry (DESIGN §3).
    static let swiftPosePrefixes = ["conv1.", "bn1.", "layer1.", "layer2.", "layer3.", "layer4."] + headPrefixes

    static func isHeadKey(_ key: String) -> Bool { headPrefixes.contains { key.hasPrefix($0) } }

    /// The same state dict without the head (`deconv_layers.*`, `final_layer(s).*`), each dropped key reported.
    public func backboneOnly() -> MappedStateDict {
        var result = self
        for key in tensors.keys.sorted() where MappedStateDict.isHeadKey(key) {
            result.tensors[key] = nil
            result.report.skipped.append(.init(key: key, reason: "head dropped (--backbone-only)"))
        }
        return result
    }
}

/// Renames a PyTorch checkpoint's state dict to SwiftPose's keys (see the table at the top of this file).
///
/// Keys that are not part of a SwiftPose model (`fc.*`, `data_preprocessor.*`, …) are skipped and reported;
/// nothing is checked against a model here: `compareStateDict(_:expected:)` does that.
public func mapTorchStateDict(_ checkpoint: TorchCheckpoint) -> MappedStateDict {
    let keys = checkpoint.keys
    // DataParallel prefixes every key with `module.`; strip it before looking at the names.
    let stripped = keys.map { $0.hasPrefix("module.") ? String($0.dropFirst("module.".count)) : $0 }
    let source = detectSource(stripped)
    var report = TorchImportReport(source: source, colorOrder: source.colorOrder)
    report.skipped = checkpoint.skipped
    var tensors: [String: TensorData] = [:]

    for (original, name) in zip(keys, stripped) {
        guard let tensor = checkpoint.tensors[original] else { continue }
        var target = name
        switch source {
        case .mmpose0:
            target = replacingPrefix(target, ["backbone.": "", "keypoint_head.": ""])
        case .mmpose1:
            target = replacingPrefix(target, ["backbone.": "", "head.": ""])
        case .simpleBaseline, .torchvision, .swiftPose:
            break
        }
        if (source == .mmpose0 || source == .mmpose1) && target == name {
            report.skipped.append(.init(key: original, reason: "outside the backbone and head of an mmpose model"))
            continue
        }
        if target.hasPrefix("fc.") && source == .torchvision {
            report.skipped.append(.init(key: original, reason: "ImageNet classifier; SwiftPose has no fc layer"))
            continue
        }
        guard MappedStateDict.swiftPosePrefixes.contains(where: { target.hasPrefix($0) }) else {
            report.skipped.append(.init(key: original, reason: "not part of a SwiftPose model"))
            continue
        }
        guard tensors[target] == nil else {
            report.skipped.append(.init(key: original, reason: "duplicate of \(target)"))
            continue
        }
        tensors[target] = tensor
        if target == original {
            report.loaded.append(target)
        } else {
            report.renamed.append(.init(from: original, to: target))
        }
    }

    // torch < 0.4.1 saved BatchNorm without num_batches_tracked; PyTorch loads such files with 0.
    for key in tensors.keys.sorted() where key.hasSuffix(".running_mean") {
        let counter = String(key.dropLast("running_mean".count)) + "num_batches_tracked"
        if tensors[counter] == nil {
            tensors[counter] = TensorData(shape: [], int64s: [0])
            report.added.append(counter)
        }
    }
    return MappedStateDict(tensors: tensors, report: report)
}

/// The source whose naming `keys` (with any `module.` prefix already stripped) follow.
func detectSource(_ keys: [String]) -> TorchCheckpointSource {
    if keys.contains(where: { $0.hasPrefix("keypoint_head.") }) { return .mmpose0 }
    if keys.contains(where: { $0.hasPrefix("backbone.") }) { return .mmpose1 }
    if keys.contains(where: { $0.hasPrefix("final_layers.") }) { return .swiftPose }
    if keys.contains(where: { $0.hasPrefix("deconv_layers.") || $0.hasPrefix("final_layer.") }) { return .simpleBaseline }
    // A backbone without a pose head: an ImageNet classification checkpoint.
    return .torchvision
}

private func replacingPrefix(_ key: String, _ prefixes: KeyValuePairs<String, String>) -> String {
    for (prefix, replacement) in prefixes where key.hasPrefix(prefix) {
        return replacement + key.dropFirst(prefix.count)
    }
    return key
}
