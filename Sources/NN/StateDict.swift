// State dicts: a module's entries as plain `TensorData` by PyTorch key, and strict loading.
import Tensors

extension Module {
    /// The state dict (PyTorch `model.state_dict()`): float32 tensors in logical (C, NCHW) order and
    /// int64 scalars for `num_batches_tracked`.
    public func stateDict() -> [String: TensorData] {
        var dict: [String: TensorData] = [:]
        for (key, value) in namedState() {
            switch value {
            case .parameter(let t), .buffer(let t):
                dict[key] = TensorData(shape: t.shape, floats: t.toArray())
            case .counter(let c):
                dict[key] = TensorData(shape: [], int64s: [c.value])
            }
        }
        return dict
    }

    /// Expected key → shape of the state dict.
    public func stateShapes() -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for (key, value) in namedState() {
            switch value {
            case .parameter(let t), .buffer(let t): shapes[key] = t.shape
            case .counter: shapes[key] = []
            }
        }
        return shapes
    }

    /// Loads a state dict strictly (PyTorch `load_state_dict(strict=True)` plus dtype checks): any
    /// missing, unexpected, wrong-shape or wrong-dtype entry is reported in one error naming the first
    /// few of each, and nothing is loaded. `file` names the source in the error.
    public func loadStateDict(_ dict: [String: TensorData], file: String) throws {
        let entries = namedState()
        var missing: [String] = [], wrongShape: [String] = [], wrongType: [String] = []
        for (key, value) in entries {
            guard let data = dict[key] else {
                missing.append(key)
                continue
            }
            switch value {
            case .parameter(let t), .buffer(let t):
                if data.shape != t.shape {
                    wrongShape.append("\(key) has shape \(data.shape), expected \(t.shape)")
                } else if data.dtype != .f32 {
                    wrongType.append("\(key) is \(data.dtype.rawValue), expected F32")
                }
            case .counter:
                if data.dtype != .i64 || data.count != 1 {
                    wrongType.append("\(key) is \(data.dtype.rawValue)\(data.shape), expected I64[]")
                }
            }
        }
        let known = Set(entries.map(\.key))
        let unexpected = dict.keys.filter { !known.contains($0) }.sorted()
        var problems: [String] = []
        func report(_ label: String, _ items: [String]) {
            guard !items.isEmpty else { return }
            let shown = items.prefix(3).joined(separator: ", ")
            problems.append("\(label) (\(items.count)): \(shown)\(items.count > 3 ? ", …" : "")")
        }
        report("missing keys", missing)
        report("unexpected keys", unexpected)
        report("wrong shapes", wrongShape)
        report("wrong dtypes", wrongType)
        if !problems.isEmpty {
            throw CheckpointError.mismatch(file: file, reason: problems.joined(separator: "; "))
        }
        for (key, value) in entries {
            let data = dict[key]!
            switch value {
            case .parameter(let t), .buffer(let t):
                t.assign(Tensor(shape: t.shape, values: data.floats()))
            case .counter(let c):
                c.value = data.int64s()[0]
            }
        }
    }
}
