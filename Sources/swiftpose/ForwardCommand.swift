// `swiftpose forward`: runs the network on a raw NCHW float32 .npy (for parity checks against PyTorch).
import ArgumentParser
import Foundation
import NN
import PoseModels
import Tensors

struct Forward: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model on a raw NCHW float32 .npy tensor and write the heatmaps as .npy.",
        discussion: """
            The input is used as given (no normalisation): shape [N, 3, H, W], dtype <f4, C order, H and W \
            divisible by 32. The output is [N, joints, H/4, W/4] float32. In train mode BatchNorm uses batch \
            statistics (the weights file is not modified).

            Example:
              swiftpose forward --model res50_3 --weights res50_3.safetensors --input x.npy --output y.npy
            """)

    enum Mode: String, ExpressibleByArgument, CaseIterable { case eval, train }

    @OptionGroup var model: ModelArguments

    @Option(help: "Weights (.safetensors with PyTorch state_dict names).")
    var weights: String

    @Option(help: "Input .npy: float32 [N, 3, H, W].")
    var input: String

    @Option(help: "Output .npy (written atomically).")
    var output: String

    @Option(help: "eval (running statistics) or train (batch statistics).")
    var mode: Mode = .eval

    func run() throws {
        let net = try model.makeModel()
        try loadWeights(weights, into: net)
        let array = try NpyFile.read(URL(fileURLWithPath: input))
        let shape = array.shape
        guard shape.count == 4, shape[1] == 3, shape[0] > 0, shape[2] > 0, shape[3] > 0,
              shape[2] % 32 == 0, shape[3] % 32 == 0 else {
            throw CheckpointError.malformed(
                file: input, reason: "shape \(shape), expected [N, 3, H, W] with H and W divisible by 32")
        }
        net.train(mode == .train)
        let y = Tape.withoutGrad { net(Tensor(shape: shape, values: array.floats())) }
        try NpyFile.write(TensorData(shape: y.shape, floats: y.toArray()), to: URL(fileURLWithPath: output))
        print("wrote \(output): \(y.shape)")
    }
}
