import Foundation
import Testing

/// Runs the built `swiftpose` (beside the test bundle in the build directory) and captures its output.
struct SwiftPoseRun {
    var status: Int32
    var stdout: String
    var stderr: String

    init(_ arguments: [String]) throws {
        let binary = Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("swiftpose")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path),
                     "swiftpose not built at \(binary.path) (swift build --build-tests builds it)")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        status = process.terminationStatus
        stdout = String(decoding: outData, as: UTF8.self)
        stderr = String(decoding: errData, as: UTF8.self)
    }
}

@Suite("swiftpose cocoeval")
struct CocoEvalCommandTests {
    struct Expected: Decodable {
        var stats: [Double]
        var lines: [String]
    }

    func expected(_ set: String) throws -> Expected {
        try #require(try Fixtures.json([String: Expected].self, "cocoeval/expected.json")[set])
    }

    @Test("cocoeval prints pycocotools' summary table")
    func printsTable() throws {
        let run = try SwiftPoseRun(["cocoeval", "--annotations", Fixtures.valAnnotations().path,
                                    "--results", Fixtures.url("cocoeval/missing_extra.json").path])
        #expect(run.status == 0)
        let table = try expected("missing_extra").lines.joined(separator: "\n") + "\n"
        #expect(run.stdout == table)
        #expect(run.stderr.isEmpty)
    }

    @Test("cocoeval --json prints the 10 stats")
    func printsJSON() throws {
        let run = try SwiftPoseRun(["cocoeval", "--annotations", Fixtures.url("cocoeval/synthetic_gt.json").path,
                                    "--results", Fixtures.url("cocoeval/synthetic.json").path, "--json"])
        #expect(run.status == 0)
        struct Output: Decodable { var stats: [Double] }
        let stats = try JSONDecoder().decode(Output.self, from: Data(run.stdout.utf8)).stats
        let want = try expected("synthetic").stats
        #expect(stats == want)
    }

    @Test("cocoeval with results for an unknown image prints one error line and fails")
    func unknownImageFails() throws {
        // The coco-small results name images the synthetic ground truth (ids 1, 2, 3) does not have.
        let run = try SwiftPoseRun(["cocoeval", "--annotations", Fixtures.url("cocoeval/synthetic_gt.json").path,
                                    "--results", Fixtures.url("cocoeval/noisy.json").path])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.hasPrefix("swiftpose: error: results reference image id "))
        #expect(run.stderr.hasSuffix(" which is not in synthetic_gt.json\n"))
    }

    @Test("cocoeval --help shows an example")
    func helpShowsExample() throws {
        let run = try SwiftPoseRun(["cocoeval", "--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("Example:"))
        #expect(run.stdout.contains("swiftpose cocoeval --annotations"))
    }
}
