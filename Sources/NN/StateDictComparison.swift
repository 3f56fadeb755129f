// The strict check of an imported state dict against a model's expected keys and shapes (PyTorch's
// `load_state_dict(strict=True)`): same key set, same shapes, F32 everywhere but I64 `num_batches_tracked`.

/// How a state dict differs from a model's expected keys and shapes; `isExact` when it loads strictly.
public struct StateDictComparison: Sendable, Equatable {
    public struct Mismatch: Sendable, Equatable, CustomStringConvertible {
        public var key: String
        public var shape: [Int]
        public var expected: [Int]
        public init(key: String, shape: [Int], expected: [Int]) {
            self.key = key
            self.shape = shape
            self.expected = expected
        }
        public var description: String { "\(key) has shape \(shape), expected \(expected)" }
    }

    /// Keys present with the expected shape and dtype, sorted.
    public var matched: [String] = []
    /// Expected keys the state dict lacks, sorted.
    public var missing: [String] = []
    /// Keys the model does not have, sorted.
    public var unexpected: [String] = []
    public var shapeMismatches: [Mismatch] = []
    /// Keys whose dtype is wrong (`num_batches_tracked` must be I64, everything else F32), sorted.
    public var dtypeMismatches: [String] = []

    public var isExact: Bool {
        missing.isEmpty && unexpected.isEmpty && shapeMismatches.isEmpty && dtypeMismatches.isEmpty
    }

    /// A one-line error naming `file` and the first problems of each kind, or nil when exact, e.g.
    /// `w.pth: layer1.0.conv2.weight has shape [64, 64, 1, 1], expected [64, 64, 3, 3]; 2 missing keys (…)`.
    public func error(file: String) -> CheckpointError? {
        guard !isExact else { return nil }
        func list(_ keys: [String]) -> String {
            keys.prefix(3).joined(separator: ", ") + (keys.count > 3 ? ", …" : "")
        }
        var parts: [String] = []
        parts += shapeMismatches.prefix(3).map(\.description)
        if shapeMismatches.count > 3 { parts.append("\(shapeMismatches.count - 3) more shape mismatches") }
        if !missing.isEmpty { parts.append("\(missing.count) missing keys (\(list(missing)))") }
        if !unexpected.isEmpty { parts.append("\(unexpected.count) unexpected keys (\(list(unexpected)))") }
        if !dtypeMismatches.isEmpty { parts.append("wrong dtype for \(list(dtypeMismatches))") }
        return .malformed(file: file, reason: parts.joined(separator: "; "))
    }
}

/// Compares `loaded` with a model's `expected` key → shape map, as a strict `load_state_dict` would.
///
/// - Parameter backboneOnly: ignore the expected head keys (`deconv_layers.*`, `final_layer(s).*`): for
///   starting training from an ImageNet backbone, whose head is initialised afresh.
public func compareStateDict(
    _ loaded: [String: TensorData], expected: [String: [Int]], backboneOnly: Bool = false
) -> StateDictComparison {
    let wanted = backboneOnly ? expected.filter { !MappedStateDict.isHeadKey($0.key) } : expected
    var result = StateDictComparison()
    for key in wanted.keys.sorted() {
        guard let tensor = loaded[key] else {
            result.missing.append(key)
            continue
        }
        let shape = wanted[key]!
        if tensor.shape != shape {
            result.shapeMismatches.append(.init(key: key, shape: tensor.shape, expected: shape))
        } else if tensor.dtype != (key.hasSuffix("num_batches_tracked") ? .i64 : .f32) {
            result.dtypeMismatches.append(key)
        } else {
            result.matched.append(key)
        }
    }
    result.unexpected = loaded.keys.filter { wanted[$0] == nil }.sorted()
    return result
}
