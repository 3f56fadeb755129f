// PyTorch `torch.save` files read without Python: the zip format (torch ≥ 1.6: `<prefix>/data.pkl` +
// `<prefix>/data/<key>`) and the legacy format (torch ≤ 1.5: magic number, protocol, sys_info, the object
// pickle, the storage key list, then each storage as an 8-byte element count + raw bytes).
//
// Safety: the object pickle runs through `Unpickler`, which accepts only the globals a state dict needs
// (`PickleGlobal.resolve`) and never executes anything. The refusal is global: a disallowed global anywhere in
// the file (optimizer state or metadata included, even under keys we would skip) aborts the whole read with
// `CheckpointError.refusedGlobal` naming it, before any tensor is materialised or any file is written.
import Foundation

/// The state dict inside a PyTorch checkpoint: tensors by key, float32 (F16, BF16, F64 converted) or int64.
///
///     let checkpoint = try TorchCheckpoint.read(URL(fileURLWithPath: "resnet50-0676ba61.pth"))
///     checkpoint.tensors["conv1.weight"]?.shape  // [64, 3, 7, 7]
public struct TorchCheckpoint: Sendable {
    public enum Format: String, Sendable {
        /// torch ≥ 1.6 (`_use_new_zipfile_serialization=True`, the default).
        case zip
        /// torch ≤ 1.5, or `_use_new_zipfile_serialization=False`.
        case legacy
    }

    /// An entry that is not part of the returned tensors, and why.
    public struct Skipped: Sendable, Equatable, CustomStringConvertible {
        public var key: String
        public var reason: String
        public init(key: String, reason: String) {
            self.key = key
            self.reason = reason
        }
        public var description: String { "\(key) (\(reason))" }
    }

    public var format: Format
    /// The state dict's tensors: F32 for floating-point storages, I64 for integer and bool ones.
    public var tensors: [String: TensorData]
    /// The tensors' keys in file order.
    public var keys: [String]
    /// The wrapper keys leading to the state dict, e.g. `["state_dict"]` for mmpose files; empty for a bare one.
    public var wrapperPath: [String]
    /// Non-tensor entries of the state dict and the wrapper's other entries (`meta`, `optimizer`, …).
    public var skipped: [Skipped]

    /// A checkpoint from its parts (for tests and for callers that build state dicts themselves).
    public init(format: Format, tensors: [String: TensorData], keys: [String], wrapperPath: [String] = [], skipped: [Skipped] = []) {
        self.format = format
        self.tensors = tensors
        self.keys = keys
        self.wrapperPath = wrapperPath
        self.skipped = skipped
    }

    /// Wrapper keys tried, in order, when the top-level dict holds no tensors itself.
    static let wrapperKeys = ["state_dict", "model", "model_state_dict", "net"]

    /// Reads and validates `url`; every error is a one-line `CheckpointError` naming the file.
    public static func read(_ url: URL) throws -> TorchCheckpoint {
        try decode(FileIO.readAll(url), file: url.path)
    }

    /// Parses a whole file's bytes; `file` names the source in error messages.
    public static func decode(_ bytes: [UInt8], file: String) throws -> TorchCheckpoint {
        if ZipArchive.looksLikeZip(bytes) {
            return try TorchZipLoader(bytes: bytes, file: file).load()
        }
        if bytes.first == 0x80 {
            return try TorchLegacyLoader(bytes: bytes, file: file).load()
        }
        if bytes.count >= 262, Array(bytes[257..<262]) == Array("ustar".utf8) {
            throw CheckpointError.malformed(file: file, reason: "tar-format checkpoints (torch ≤ 0.3) are not supported; re-save with torch.save")
        }
        throw CheckpointError.malformed(
            file: file,
            reason: "not a PyTorch checkpoint: expected a zip archive (torch ≥ 1.6) or a pickle (legacy torch.save)")
    }

    /// Finds the state dict in `root` (bare, or under `wrapperKeys`) and materialises its tensors.
    /// - Parameter storageBytes: the bytes of the whole storage `key`; throws when the file lacks it.
    static func extract(
        _ root: PickleValue, format: Format, file: String, storageBytes: (String) throws -> ArraySlice<UInt8>
    ) throws -> TorchCheckpoint {
        guard case .dict(var dict) = root else {
            throw CheckpointError.malformed(file: file, reason: "checkpoint holds a \(root.kind), expected a dict (a state_dict)")
        }
        var path: [String] = []
        var skipped: [Skipped] = []
        // Unwrap {'state_dict': {...}, 'meta': ..., 'optimizer': ...}, at most 4 levels (a cyclic pickle ends here too).
        while !containsTensors(dict), path.count < 4, let (key, inner) = wrapped(in: dict) {
            let prefix = path.map { $0 + "." }.joined()
            for (other, _) in dict.entries where describeKey(other) != key {
                skipped.append(Skipped(key: prefix + describeKey(other), reason: "checkpoint entry outside the state dict"))
            }
            path.append(key)
            dict = inner
        }
        guard containsTensors(dict) else {
            let keys = dict.entries.prefix(8).map { describeKey($0.key) }.joined(separator: ", ")
            let place = path.isEmpty ? "top-level keys" : "keys under '\(path.joined(separator: "."))'"
            throw CheckpointError.malformed(
                file: file,
                reason: "no tensors found: \(place) [\(keys)], expected a state_dict or a 'state_dict'/'model' entry holding one")
        }

        var tensors: [String: TensorData] = [:]
        var keys: [String] = []
        for (keyValue, value) in dict.entries {
            guard case .string(let key) = keyValue else {
                skipped.append(Skipped(key: describeKey(keyValue), reason: "key is not a string"))
                continue
            }
            guard case .tensor(let tensor) = value else {
                skipped.append(Skipped(key: key, reason: "not a tensor (\(value.kind))"))
                continue
            }
            if tensors[key] == nil { keys.append(key) }
            tensors[key] = try tensor.materialize(storageBytes(tensor.storage.key), file: file, key: key)
        }
        return TorchCheckpoint(format: format, tensors: tensors, keys: keys, wrapperPath: path, skipped: skipped)
    }

    /// The first wrapper entry (`state_dict`, `model`, …) holding a dict with tensors or another wrapper.
    private static func wrapped(in dict: PickleDict) -> (String, PickleDict)? {
        for key in wrapperKeys {
            if case .dict(let inner)? = dict[key], containsTensors(inner) || wrapperKeys.contains(where: { inner[$0] != nil }) {
                return (key, inner)
            }
        }
        return nil
    }

    private static func containsTensors(_ dict: PickleDict) -> Bool {
        dict.entries.contains { if case .tensor = $0.value { return true } else { return false } }
    }

    private static func describeKey(_ key: PickleValue) -> String {
        switch key {
        case .string(let name): return name
        case .int(let value): return String(value)
        default: return "<\(key.kind)>"
        }
    }
}
