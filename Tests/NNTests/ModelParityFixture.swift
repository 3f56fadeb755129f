// The model parity fixtures `model_<case>.json` (+ .eval.npy, .train.npy) written by
// Tools/fixtures/make_model_fixtures.py; Tools/fixtures/README.md documents every field.
import Foundation
import NN

/// One PyTorch reference run of a model filled with counter values: eval output, train output, loss,
/// gradient summaries and BN running statistics after one train-mode forward.
struct ModelParityFixture: Decodable {
    struct Output: Decodable {
        var output: String
        var shape: [Int]
        var sum: Double
        var l2: Double
        var max_abs: Double
    }

    struct Gradient: Decodable {
        var shape: [Int]
        var sum: Double
        var l2: Double
        var max_abs: Double
        /// Flat C-order indices, `counterSampleIndices(key:count:)`.
        var indices: [Int]
        var values: [Float]
    }

    struct Target: Decodable {
        var name: String
        var shape: [Int]
        var scale: Float
    }

    struct Train: Decodable {
        var output: String
        var shape: [Int]
        var sum: Double
        var l2: Double
        var max_abs: Double
        var target: Target
        var loss: Double
        /// By parameter key, plus `"input"` for the gradient of the input.
        var grads: [String: Gradient]
        /// `"all"` (every BN) or `"head"` (only `deconv_layers.*`).
        var running_stats_scope: String
        var running_stats: [String: [Float]]
        var num_batches_tracked: Int
    }

    struct Input: Decodable {
        var name: String
        var shape: [Int]
    }

    var `case`: String
    var model: String
    var width: String
    var upsample: String
    var joints: Int
    var param_count: Int
    var input: Input
    var eval: Output
    var train: Train

    /// Cases written by make_model_fixtures.py.
    static let cases = ["res18", "res18_2", "res18_3", "res18_4", "res18_3_fixed", "res18_3_nearest"]

    /// Decodes `model_<name>.json`.
    static func load(_ name: String) throws -> ModelParityFixture {
        try NNFixtures.json("model_\(name).json")
    }

    /// The input x: counter values of `input.name`, float32 NCHW.
    var inputValues: [Float] { counterTensorValues(name: input.name, shape: input.shape) }

    /// The MSE target: `scale` × counter values of `target.name`.
    var targetValues: [Float] { counterTensorValues(name: train.target.name, shape: train.target.shape).map { $0 * train.target.scale } }

    /// The eval-mode output heatmaps (float32, `eval.shape`).
    func evalOutput() throws -> TensorData { try NpyFile.read(NNFixtures.url(eval.output)) }

    /// The train-mode output heatmaps (float32, `train.shape`).
    func trainOutput() throws -> TensorData { try NpyFile.read(NNFixtures.url(train.output)) }
}
