// `swiftpose import` without the CLI: read a PyTorch checkpoint, map its names, check it strictly against a
// model's expected keys and shapes, and write SwiftPose safetensors with the colour order in `__metadata__`.
import Foundation

/// Converts PyTorch checkpoints into SwiftPose weights files.
///
///     let result = try TorchImport.convert(from: pth, expected: shapes, backboneOnly: false)
///     result.lines.forEach { print($0) }
///     try TorchImport.write(result, to: out)
public enum TorchImport {
    public struct Result: Sendable {
        public var checkpoint: TorchCheckpoint.Format
        public var mapped: MappedStateDict
        public var comparison: StateDictComparison
        /// The expected keys left for the model's own initialisation (the head, with `backboneOnly`), sorted.
        public var notImported: [String]

        /// The report `swiftpose import` prints: source, then loaded, renamed, skipped, added, missing keys.
        public var lines: [String] {
            let report = mapped.report
            var lines = ["source: \(report.source.rawValue) (\(checkpoint.rawValue) format), colour order \(report.colorOrder.rawValue)"]
            func section(_ title: String, _ items: [String]) {
                lines.append("\(title) (\(items.count))\(items.isEmpty ? "" : ":")")
                lines += items.map { "  " + $0 }
            }
            section("loaded", report.loaded)
            section("renamed", report.renamed.map(\.description))
            section("skipped", report.skipped.map(\.description))
            section("added", report.added.map { "\($0) (absent from the file; 0 as PyTorch's BatchNorm loads it)" })
            section("missing", comparison.missing)
            if !notImported.isEmpty { section("not imported (initialised by the model)", notImported) }
            return lines
        }
    }

    /// Reads and maps `source`, then checks it against `expected` (a model's state_dict key → shape map).
    ///
    /// Strict: any missing or unexpected key, shape or dtype mismatch throws a one-line `CheckpointError`
    /// naming the file. With `backboneOnly` the head is dropped from the file and the model's head keys are not
    /// required; the backbone is still checked strictly.
    public static func convert(from source: URL, expected: [String: [Int]], backboneOnly: Bool) throws -> Result {
        let checkpoint = try TorchCheckpoint.read(source)
        var mapped = mapTorchStateDict(checkpoint)
        if backboneOnly { mapped = mapped.backboneOnly() }
        let comparison = compareStateDict(mapped.tensors, expected: expected, backboneOnly: backboneOnly)
        if let error = comparison.error(file: source.path) { throw error }
        let notImported = backboneOnly ? expected.keys.filter(MappedStateDict.isHeadKey).sorted() : []
        return Result(checkpoint: checkpoint.format, mapped: mapped, comparison: comparison, notImported: notImported)
    }

    /// Writes the converted tensors with `{"color_order", "source"}` metadata, atomically.
    public static func write(_ result: Result, to url: URL) throws {
        try SafetensorsFile.write(result.mapped.tensors, metadata: result.mapped.report.metadata, to: url)
    }
}
