// The model options shared by params, forward, init (and later train, eval, predict).
import ArgumentParser
import Foundation
import NN
import PoseModels
import Tensors

extension HeadWidth: ExpressibleByArgument {}
extension UpsampleMode: ExpressibleByArgument {}

/// `--model`, `--width`, `--upsample`, `--joints`.
struct ModelArguments: ParsableArguments {
    @Option(help: "Model name: resN (SimpleBaseline) or resN_R (multi-scale head over the last R scales), N in 18, 34, 50, 101, 152, R in 2, 3, 4.")
    var model: String

    @Option(help: "Width of the multi-scale head's later deconvolutions: paper (reproduces the paper's counts) or fixed (256).")
    var width: HeadWidth = .paper

    @Option(help: "Parameter-free upsampling of the multi-scale predictions: bilinear (align_corners=False) or nearest.")
    var upsample: UpsampleMode = .bilinear

    @Option(help: "Number of keypoints (heatmap channels).")
    var joints: Int = 17

    func validate() throws {
        guard joints > 0 else { throw ValidationError("--joints must be positive") }
    }

    /// The parsed `--model`; an unknown name is a runtime error (one line, exit 1).
    func parsedName() throws -> ModelName { try ModelName(parsing: model) }

    var options: ModelOptions { ModelOptions(width: width, upsample: upsample, joints: joints) }

    /// The network with zero weights (fill them by `initializeWeights` or a state dict).
    func makeModel() throws -> PoseNet { PoseNet(name: try parsedName(), options: options) }

    /// Metadata written next to weights so a file says what it holds.
    func metadata() throws -> [String: String] {
        ["model": try parsedName().description, "width": width.rawValue, "joints": String(joints),
         "format": "pt"]
    }
}

/// Loads model weights strictly from a weights file or a training checkpoint (whose `optimizer.*`
/// entries are skipped); returns the colour order recorded by `swiftpose import`, if any.
@discardableResult
func loadWeights(_ path: String, into model: Module) throws -> String? {
    let contents = try SafetensorsFile.read(URL(fileURLWithPath: path))
    var tensors = contents.tensors
    if contents.metadata["swiftpose_checkpoint"] != nil {
        tensors = tensors.filter { !$0.key.hasPrefix("optimizer.") }
    }
    try model.loadStateDict(tensors, file: path)
    return contents.metadata["color_order"]
}

