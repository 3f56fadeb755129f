import Foundation
import Testing

/// `params`, `init`, `forward`, `import`: output and the one-line errors of bad input.
@Suite("model commands")
struct ModelCommandTests {
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swiftpose-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A float32 .npy ([N, 3, H, W] unless given) written by hand: the v1 header, then the values.
    static func writeNpy(_ url: URL, shape: [Int], descr: String = "<f4") throws {
        let count = shape.reduce(1, *)
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
        while (10 + header.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xff), UInt8(header.count >> 8)])
        data += Data(header.utf8)
        let bytesPerValue = descr == "<f8" ? 8 : 4
        data += Data(repeating: 0, count: count * bytesPerValue)
        try data.write(to: url)
    }

    static func expectOneLineError(_ run: SwiftPoseRun, containing text: String) {
        #expect(run.status != 0)
        #expect(run.stderr.hasPrefix("swiftpose: error: "), "stderr: \(run.stderr)")
        #expect(run.stderr.contains(text), "stderr: \(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "stderr: \(run.stderr)")
    }

    @Test("params prints every part and the paper's total as the last line")
    func params() throws {
        let run = try SwiftPoseRun(["params", "--model", "res50_3"])
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.last?.hasPrefix("total") == true)
        #expect(lines.last?.hasSuffix("34,450,316") == true)
        for part in ["stem", "layer1", "layer4", "deconv1", "deconv3", "final_layers.0", "final_layers.2"] {
            #expect(lines.contains { $0.hasPrefix(part + " ") }, "missing \(part)")
        }
        let fixed = try SwiftPoseRun(["params", "--model", "res50_3", "--width", "fixed"])
        #expect(fixed.stdout.split(separator: "\n").last?.hasSuffix("34,147,699") == true)
    }

    @Test("an unknown model name is one error line naming the valid form")
    func unknownModel() throws {
        Self.expectOneLineError(try SwiftPoseRun(["params", "--model", "res51"]), containing: "unknown model 'res51'")
    }

    @Test("init writes weights that forward runs; bad inputs are one-line errors and write nothing")
    func initAndForward() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = folder.appendingPathComponent("w.safetensors").path
        #expect(try SwiftPoseRun(["init", "--model", "res18_2", "--seed", "1", "--out", weights]).status == 0)
        let input = folder.appendingPathComponent("x.npy")
        try Self.writeNpy(input, shape: [1, 3, 64, 32])
        let output = folder.appendingPathComponent("y.npy").path
        let ok = try SwiftPoseRun(["forward", "--model", "res18_2", "--weights", weights, "--input", input.path,
                                   "--output", output])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("[1, 17, 16, 8]"))
        #expect(FileManager.default.fileExists(atPath: output))

        let absent = folder.appendingPathComponent("absent.npy").path
        func expectNoOutput(_ arguments: [String], _ text: String) throws {
            let out = folder.appendingPathComponent("bad.npy").path
            Self.expectOneLineError(try SwiftPoseRun(arguments + ["--output", out]), containing: text)
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        try expectNoOutput(["forward", "--model", "res18_3", "--weights", weights, "--input", input.path],
                           "missing keys (final_layers.2.bias")
        let wrongShape = folder.appendingPathComponent("wrong.npy")
        try Self.writeNpy(wrongShape, shape: [1, 3, 60, 32])
        try expectNoOutput(["forward", "--model", "res18_2", "--weights", weights, "--input", wrongShape.path],
                           "expected [N, 3, H, W] with H and W divisible by 32")
        let float64 = folder.appendingPathComponent("f8.npy")
        try Self.writeNpy(float64, shape: [1, 3, 64, 32], descr: "<f8")
        try expectNoOutput(["forward", "--model", "res18_2", "--weights", weights, "--input", float64.path],
                           "expected <f4")
        try expectNoOutput(["forward", "--model", "res18_2", "--weights", weights, "--input", absent], "absent.npy")
        try expectNoOutput(["forward", "--model", "res18_2", "--weights", absent, "--input", input.path], "absent.npy")
    }

    @Test("import refuses a file that is not a PyTorch checkpoint and writes nothing")
    func importRefusesNonCheckpoint() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bogus = folder.appendingPathComponent("model.pth")
        try Data("not a checkpoint".utf8).write(to: bogus)
        let out = folder.appendingPathComponent("w.safetensors").path
        let run = try SwiftPoseRun(["import", "--from", bogus.path, "--model", "res18", "--out", out])
        Self.expectOneLineError(run, containing: "model.pth")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
