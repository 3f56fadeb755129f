// The `swiftpose` command: one subcommand per file; errors print one line and exit non-zero.
import ArgumentParser
import Foundation

@main
struct SwiftPose: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftpose",
        abstract: "Top-down human pose estimation: SimpleBaseline and multi-scale deconvolution heads.",
        subcommands: [
            Synth.self,
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
        } catch let error where error is CleanExit || error is ExitCode || error is ValidationError {
            exit(withError: error)
        } catch {
            FileHandle.standardError.write(Data("swiftpose: error: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }
}
