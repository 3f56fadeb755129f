// `swiftpose init`: freshly initialised weights as a safetensors file.
import ArgumentParser
import Foundation
import NN
import PoseModels

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write freshly initialised weights (SimpleBaseline's scheme) as safetensors.",
        discussion: """
            Backbone convolutions Kaiming normal (fan_out), BatchNorm 1/0, deconvolution and head weights \
            normal(0, 0.001), head bias 0. The file uses PyTorch state_dict names and loads with \
            model.load_state_dict(safetensors.torch.load_file(path), strict=True).

            Example:
              swiftpose init --model res50_3 --seed 0 --out res50_3.safetensors
            """)

    @OptionGroup var model: ModelArguments

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    @Option(help: "Output .safetensors file (written atomically).")
    var out: String

    func run() throws {
        let net = try model.makeModel()
        net.initializeWeights(seed: seed)
        try SafetensorsFile.write(net.stateDict(), metadata: try model.metadata(), to: URL(fileURLWithPath: out))
        print("wrote \(out): \(try model.parsedName()), \(formatCount(net.parameterCount())) parameters")
    }
}
