// `swiftpose import`: a PyTorch checkpoint (.pth / .pth.tar) → SwiftPose weights (.safetensors), no Python.
import ArgumentParser
import Foundation
import NN

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert a PyTorch checkpoint into SwiftPose weights (safetensors), without Python.",
        discussion: """
            Reads torch.save files (zip format, torch ≥ 1.6, and the legacy format) with a restricted
            unpickler that accepts only what a state_dict needs and refuses any other global (e.g. os.system)
            before anything is loaded. Maps SimpleBaseline/HRNet (± DataParallel 'module.'), mmpose 0.x/1.x and
            torchvision ResNet names to SwiftPose's, prints the loaded, renamed, skipped and missing keys, and
            records the colour order the weights expect (BGR for the SimpleBaseline releases) in the file's
            metadata. Strict against --model unless --backbone-only. Nothing is written on error.

            Examples:
              swiftpose import --from pose_resnet_50_256x192.pth.tar --model res50 --out res50_sb.safetensors
              swiftpose import --from resnet50-0676ba61.pth --model res50_3 --backbone-only --out r50_imagenet.safetensors
            """)

    @Option(name: .customLong("from"), help: "The PyTorch checkpoint (.pth, .pth.tar).")
    var source: String

    @OptionGroup var model: ModelArguments

    @Option(help: "The safetensors file to write.")
    var out: String

    @Flag(help: "Import only the backbone (e.g. torchvision ImageNet weights); the head keeps its initialisation.")
    var backboneOnly = false

    func validate() throws {
        guard FileManager.default.fileExists(atPath: source) else {
            throw ValidationError("--from \(source): no such file")
        }
        guard out.hasSuffix(".safetensors") else {
            throw ValidationError("--out \(out): expected a .safetensors file name")
        }
    }

    func run() throws {
        try run(expectedShapes: try model.makeModel().stateShapes())
    }

    /// Converts `--from` against the model's `expectedShapes` (state_dict key → shape), prints the report and
    /// writes `--out`; throws before writing if the check fails.
    func run(expectedShapes: [String: [Int]]) throws {
        let result = try TorchImport.convert(
            from: URL(fileURLWithPath: source), expected: expectedShapes, backboneOnly: backboneOnly)
        result.lines.forEach { print($0) }
        try TorchImport.write(result, to: URL(fileURLWithPath: out))
        print("wrote \(out): \(result.mapped.tensors.count) tensors, metadata \(result.mapped.report.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))")
    }
}
