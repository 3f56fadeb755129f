// The `swiftpose` command: one subcommand per file; errors print one line and exit non-zero.
import ArgumentParser
import Foundation

@main
struct SwiftPose: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftpose",
        abstract: "Top-down human pose estimation: SimpleBaseline and multi-scale deconvolution heads.",
        subcommands: [
            Params.self,
            Init.self,
            Forward.self,
            Bench.self,
            Import.self,
            Eval.self,
            Predict.self,
            DataCommand.self,
            Synth.self,
            CocoEval.self,
            Train.self,
        ])

    /// Parses, runs, and turns any runtime error into `swiftpose: error: <message>` with exit code 1.
    static func main() {
        let command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            var runnable = command
            try runnable.run()
        } catch let error where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            // Help, clean exits and usage errors (including `synth --help`, which ArgumentParser runs as
            // a built-in command that throws its internal `CommandError`) keep ArgumentParser's output.
            exit(withError: error)
        } catch {
            FileHandle.standardError.write(Data("swiftpose: error: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }
}
