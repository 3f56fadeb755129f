import Foundation
import Testing

@Suite("swiftpose cocoeval")
struct CocoEvalCommandTests {
    struct Expected: Decodable {
        var stats: [Double]
        var lines: [String]
    }

    func expected(_ set: String) throws -> Expected {
        try #require(try JSONDecoder().decode([String: Expected].self,
                                              from: Data(contentsOf: Repository.poseEvalFixture("cocoeval/expected.json")))[set])
    }

    @Test("cocoeval prints pycocotools' summary table")
    func printsTable() throws {
        let run = try SwiftPoseRun(["cocoeval", "--annotations", Repository.cocoSmall().appendingPathComponent("annotations/person_keypoints_val2017.json").path,
                                    "--results", Repository.poseEvalFixture("cocoeval/missing_extra.json").path])
        #expect(run.status == 0)
        let table = try expected("missing_extra").lines.joined(separator: "\n") + "\n"
        #expect(run.stdout == table)
        #expect(run.stderr.isEmpty)
    }

    @Test("cocoeval --json prints the 10 stats")
    func printsJSON() throws {
        let run = try SwiftPoseRun(["cocoeval", "--annotations", Repository.poseEvalFixture("cocoeval/synthetic_gt.json").path,
                                    "--results", Repository.poseEvalFixture("cocoeval/synthetic.json").path, "--json"])
        #expect(run.status == 0)
        struct Output: Decodable { var stats: [Double] }
        let stats = try JSONDecoder().decode(Output.self, from: Data(run.stdout.utf8)).stats
        let want = try expected("synthetic").stats
        #expect(stats == want)
    }

    @Test("cocoeval with results for an unknown image prints one error line and fails")
    func unknownImageFails() throws {
        // The coco-small results name images the synthetic ground truth (ids 1, 2, 3) does not have.
        let run = try SwiftPoseRun(["cocoeval", "--annotations", Repository.poseEvalFixture("cocoeval/synthetic_gt.json").path,
                                    "--results", Repository.poseEvalFixture("cocoeval/noisy.json").path])
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
