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
    /// few of each (`compareStateDict`), and nothing is loaded. `file` names the source in the error.
    public func loadStateDict(_ dict: [String: TensorData], file: String) throws {
        if let error = compareStateDict(dict, expected: stateShapes()).error(file: file) { throw error }
        for (key, value) in namedState() {
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
