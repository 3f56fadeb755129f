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

/// `state_dict_shapes.json`: the PyTorch state_dict keys and shapes of every model name (make_model_fixtures.py).
struct StateDictShapesFixture: Decodable {
    struct Model: Decodable {
        var name: String
        /// "paper" or "fixed" (SimpleBaseline models appear once, as "paper").
        var width: String
        /// Key into `backbones`.
        var backbone: String
        /// Trainable parameters (BN running statistics and `num_batches_tracked` excluded).
        var param_count: Int
        /// Number of state_dict entries, backbone and head together.
        var state_count: Int
        /// `deconv_layers.*` and `final_layer.*` / `final_layers.*` keys with their shapes.
        var head: [String: [Int]]
    }

    /// Backbone keys (`conv1.weight`, `bn1.*`, `layer1.0.conv1.weight`, …) with shapes, by "res18" … "res152".
    var backbones: [String: [String: [Int]]]
    var models: [Model]

    static func load() throws -> StateDictShapesFixture { try NNFixtures.json("state_dict_shapes.json") }

    /// The full state_dict shapes of `name` at `width`.
    func shapes(of name: String, width: String = "paper") -> [String: [Int]]? {
        guard let model = models.first(where: { $0.name == name && $0.width == width }),
              let backbone = backbones[model.backbone]
        else { return nil }
        return backbone.merging(model.head) { a, _ in a }
    }
}
