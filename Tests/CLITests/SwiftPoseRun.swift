// Running the built `swiftpose` binary and finding the repository's data from the tests.
import Foundation
import Testing

/// Runs the built `swiftpose` (beside the test bundle in the build directory) and captures its output.
struct SwiftPoseRun {
    var status: Int32
    var stdout: String
    var stderr: String

    init(_ arguments: [String]) throws {
        let binary = try Repository.binary()
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read stderr on another thread so neither pipe can fill up and block the child.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let done = DispatchSemaphore(value: 0)
        Thread {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        let errData = errBox.data
        process.waitUntilExit()
        status = process.terminationStatus
        stdout = String(decoding: outData, as: UTF8.self)
        stderr = String(decoding: errData, as: UTF8.self)
    }
}

enum Repository {
    /// The directory holding Package.swift, found from this file's path.
    static func root(filePath: String = #filePath) throws -> URL {
        var directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            let parent = directory.deletingLastPathComponent()
            try #require(parent.path != directory.path, "no Package.swift above \(filePath)")
            directory = parent
        }
        return directory
    }

    /// The `swiftpose` built beside the test bundle (`swift build --build-tests` builds both).
    static func binary() throws -> URL {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL { candidates.append(executable.deletingLastPathComponent()) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        candidates.append(try root().appendingPathComponent(".build/debug"))
        let found = candidates.map { $0.appendingPathComponent("swiftpose") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        let looked = candidates.map(\.path).joined(separator: ", ")
        return try #require(found, "swiftpose not built beside the tests (looked in \(looked)); swift build --build-tests builds it")
    }

    /// `../shared/data/coco-small` beside the repository.
    static func cocoSmall() throws -> URL {
        let data = try root().appendingPathComponent("../shared/data/coco-small").standardizedFileURL
        try #require(FileManager.default.fileExists(atPath: data.appendingPathComponent("annotations").path),
                     "shared COCO data not found at \(data.path) (expected ../shared/data/coco-small beside the repository)")
        return data
    }

    /// A file of `Tests/PoseEvalTests/Fixtures` (the pycocotools fixtures the cocoeval tests share).
    static func poseEvalFixture(_ path: String) throws -> URL {
        try root().appendingPathComponent("Tests/PoseEvalTests/Fixtures").appendingPathComponent(path)
    }

    /// A new empty temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swiftpose-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
