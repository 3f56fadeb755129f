import Foundation
import Testing

@Suite("swiftpose verbs, help and errors")
struct CommandLineTests {
    @Test("swiftpose --help lists every verb")
    func rootHelpListsVerbs() throws {
        let run = try SwiftPoseRun(["--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("USAGE: swiftpose <subcommand>"))
        for verb in ["data", "synth", "cocoeval"] {
            #expect(run.stdout.contains("\n  \(verb) "), "\(verb) missing from:\n\(run.stdout)")
        }
        #expect(!run.stdout.contains("--bench"))
    }

    @Test("every verb's --help shows a runnable example", arguments: [
        ("data", "swiftpose data --data "), ("synth", "swiftpose synth --out "), ("cocoeval", "swiftpose cocoeval --annotations "),
    ])
    func verbHelpShowsExample(verb: String, example: String) throws {
        let run = try SwiftPoseRun([verb, "--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("Example"))
        #expect(run.stdout.contains(example))
        #expect(run.stderr.isEmpty)
    }

    @Test("data on a missing root prints one error line naming the annotation file and fails")
    func dataMissingRootFails() throws {
        let run = try SwiftPoseRun(["data", "--data", "/nonexistent-swiftpose-root", "--split", "val2017"])
        #expect(run.status != 0)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr == "swiftpose: error: /nonexistent-swiftpose-root/annotations/person_keypoints_val2017.json: file not found\n")
    }

    @Test("data --json on coco-small val prints the SimpleBaseline counts (35 images with persons, 78 instances)")
    func dataJSONCounts() throws {
        let run = try SwiftPoseRun(["data", "--data", Repository.cocoSmall().path, "--split", "val2017", "--json"])
        #expect(run.status == 0)
        struct Report: Decodable {
            var images: Int
            var images_with_persons: Int
            var instances: Int
            var problems: [[String: String?]]
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))
        #expect(report.images == 82)
        #expect(report.images_with_persons == 35)
        #expect(report.instances == 78)
        #expect(report.problems.isEmpty)
    }

    @Test("synth into a non-empty folder refuses, writes nothing and leaves the folder as it was")
    func synthRefusesNonEmptyFolder() throws {
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keep = directory.appendingPathComponent("keep.txt")
        try Data("mine".utf8).write(to: keep)
        let run = try SwiftPoseRun(["synth", "--out", directory.path, "--train", "1", "--val", "1"])
        #expect(run.status != 0)
        #expect(run.stderr == "swiftpose: error: \(directory.path): output folder is not empty; pass --force to replace it\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["keep.txt"])
        #expect(try Data(contentsOf: keep) == Data("mine".utf8))
    }

    @Test("an unknown verb is a usage error")
    func unknownVerbFails() throws {
        let run = try SwiftPoseRun(["frobnicate"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("frobnicate"))
    }
}
