// The values the restricted unpickler builds: plain data, storages and tensor views. Nothing here can run code:
// an allowed global is only a tag (`PickleGlobal`), and "calling" it builds one of these values.

/// A value read from a pickle. Containers are reference boxes because pickles mutate them after memoising.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer that does not fit `Int`: its little-endian two's-complement bytes (e.g. torch's legacy magic).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleList)
    case list(PickleList)
    case dict(PickleDict)
    case global(PickleGlobal)
    case storage(TorchStorageRef)
    case tensor(TorchTensorRef)
    /// Data of an inert global (numpy arrays and dtypes in checkpoint metadata), kept as its type name only.
    case opaque(String)

    /// A short type name for error messages.
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let global): return "global \(global.name)"
        case .storage: return "storage"
        case .tensor: return "tensor"
        case .opaque(let name): return name
        }
    }

    var int: Int? {
        switch self {
        case .int(let value): return value
        case .bool(let value): return value ? 1 : 0
        default: return nil
        }
    }

    var string: String? {
        switch self {
        case .string(let value): return value
        case .bytes(let value): return String(decoding: value, as: UTF8.self)
        default: return nil
        }
    }

    /// The items of a tuple or list.
    var items: [PickleValue]? {
        switch self {
        case .tuple(let box), .list(let box): return box.items
        default: return nil
        }
    }

    /// The items of a tuple or list of `Int`s (a `torch.Size`, a stride).
    var ints: [Int]? {
        guard let items else { return nil }
        var result: [Int] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard let value = item.int else { return nil }
            result.append(value)
        }
        return result
    }
}

/// A tuple's, list's or set's items.
final class PickleList {
    var items: [PickleValue]
    init(_ items: [PickleValue] = []) { self.items = items }
}

/// A dict in insertion order (as `collections.OrderedDict` and Python dicts keep it).
final class PickleDict {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var stringIndex: [String: Int] = [:]

    /// Sets `key` to `value`: a repeated string key keeps its first position, as in Python.
    func set(_ key: PickleValue, _ value: PickleValue) {
        if case .string(let name) = key {
            if let index = stringIndex[name] {
                entries[index].value = value
                return
            }
            stringIndex[name] = entries.count
        }
        entries.append((key, value))
    }

    subscript(name: String) -> PickleValue? { stringIndex[name].map { entries[$0].value } }

    func removeAll() {
        entries = []
        stringIndex = [:]
    }
}

/// Element types of torch storages; `TorchCheckpoint` converts floats to F32 and integers to I64.
enum TorchDType: String, CaseIterable {
    case float32 = "Float", float16 = "Half", bfloat16 = "BFloat16", float64 = "Double"
    case int64 = "Long", int32 = "Int", int16 = "Short", int8 = "Char", uint8 = "Byte", bool = "Bool"

    var byteSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// The dtype `TorchCheckpoint` stores this storage type as.
    var converted: DType {
        switch self {
        case .float32, .float16, .bfloat16, .float64: return .f32
        case .int64, .int32, .int16, .int8, .uint8, .bool: return .i64
        }
    }
}

/// The globals a state dict needs. Each is a tag: the unpickler "calls" one by building plain data.
enum PickleGlobal: Equatable {
    case orderedDict
    case rebuildTensorV2, rebuildTensor, rebuildParameter, rebuildParameterWithState
    /// `_codecs.encode(str, "latin1")`: how protocol 2 spells a bytes literal (numpy arrays in metadata use it).
    case codecsEncode
    /// `torch.FloatStorage`, `torch.HalfStorage`, …: only ever an argument of a persistent id.
    case storageType(TorchDType)
    /// numpy types found in mmpose/mmengine metadata (`numpy.core.multiarray._reconstruct`, `numpy.dtype`, …):
    /// never called; values built from them are `.opaque` and skipped.
    case inert(String)

    /// The dotted name, as in error messages and as Python spells it.
    var name: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .codecsEncode: return "_codecs.encode"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildTensor: return "torch._utils._rebuild_tensor"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: return "torch._utils._rebuild_parameter_with_state"
        case .storageType(let dtype): return "torch.\(dtype.rawValue)Storage"
        case .inert(let name): return name
        }
    }

    /// The allowlist: the global `module.name` if a state dict may use it, else nil (the caller refuses it).
    static func resolve(module: String, name: String) -> PickleGlobal? {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("_codecs", "encode"): return .codecsEncode
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor"): return .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): return .rebuildParameterWithState
        case ("torch", _) where name.hasSuffix("Storage"):
            return TorchDType(rawValue: String(name.dropLast("Storage".count))).map { .storageType($0) }
        case ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
             ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
             ("numpy", "ndarray"), ("numpy", "dtype"):
            return .inert("\(module).\(name)")
        default:
            return nil
        }
    }
}

/// A storage named by a persistent id: `key` names its bytes (`data/<key>` in a zip, the key list in legacy files).
struct TorchStorageRef {
    var key: String
    var dtype: TorchDType
    /// Elements in the storage as the persistent id states them.
    var count: Int
    /// First element of this storage within the stored bytes (legacy storage views; 0 otherwise).
    var elementOffset: Int = 0
}

/// `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, …)`: a strided view of a storage.
struct TorchTensorRef {
    var storage: TorchStorageRef
    var storageOffset: Int
    var size: [Int]
    var stride: [Int]
}
