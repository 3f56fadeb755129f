// Decoding Tests/NNTests/Fixtures/torch/torch_checkpoints.json (Tools/fixtures/make_torch_checkpoint_fixtures.py).
import Foundation
import NN

struct TorchCheckpointFixture: Decodable {
    struct Model: Decodable {
        struct Tensor: Decodable {
            var shape: [Int]
            /// "F32" or "I64": the dtype after reading (F16 storages convert to F32).
            var dtype: String
            /// The SwiftPose key whose counter values the tensor holds (cast to `storage_dtype`).
            var counter: String
        }
        var format: String
        var source: String
        var color_order: String
        var wrapper_path: [String]
        /// "F32" or "F16": the storages' float type.
        var storage_dtype: String
        var tensors: [String: Tensor]
        /// Raw key → SwiftPose key, for the keys the mapping renames.
        var renamed: [String: String]
        /// Raw keys the mapping skips.
        var skipped: [String]
        /// SwiftPose keys the mapping adds (`num_batches_tracked` absent from torch 0.4.0 files).
        var added: [String]
        /// Top-level wrapper entries outside the state dict.
        var checkpoint_skipped: [String]
    }

    struct Value: Decodable {
        var shape: [Int]
        var dtype: String
        var float_bits: [UInt32]?
        var int64: [Int64]?
    }

    struct Views: Decodable {
        var tensors: [String: Value]
        var skipped: [String]
    }

    var models: [String: Model]
    var views: Views
    /// File → the global it must be refused for.
    var refused: [String: String]
    /// legacy_storage_view.pth: key → values.
    var legacy_storage_view: [String: [Float]]

    static func load() throws -> TorchCheckpointFixture { try NNFixtures.json("torch/torch_checkpoints.json") }

    static func url(_ name: String) -> URL { NNFixtures.url("torch/" + name) }

    static func bytes(_ name: String) throws -> [UInt8] { try [UInt8](Data(contentsOf: url(name))) }
}

extension TorchCheckpointFixture.Model.Tensor {
    /// The values the fixture script stored: counter values of `counter`, rounded through the storage dtype.
    func expected(storageDType: String) -> TensorData {
        if dtype == "I64" {
            return TensorData(shape: shape, int64s: [Int64](repeating: 0, count: shape.reduce(1, *)))
        }
        var values = counterTensorValues(name: counter, shape: shape)
        if storageDType == "F16" {
            values = values.map(roundedToHalf)
        }
        return TensorData(shape: shape, floats: values)
    }
}

/// `x` rounded to the nearest float16 value (ties to even), as `torch.Tensor.half()` does; subnormals included.
/// (Swift's `Float16` is unavailable on Intel Macs, so the rounding is spelled out: scale to the float16 grid.)
func roundedToHalf(_ x: Float) -> Float {
    guard x != 0, x.isFinite else { return x }
    let quantum = Float(sign: .plus, exponent: max(Int(x.exponent), -14) - 10, significand: 1)
    return (x / quantum).rounded(.toNearestOrEven) * quantum
}
