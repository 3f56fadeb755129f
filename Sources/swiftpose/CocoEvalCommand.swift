// `swiftpose cocoeval`: the 10 COCO keypoint stats of a results file, as pycocotools prints them.
import ArgumentParser
import Foundation
import PoseEval

struct CocoEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cocoeval",
        abstract: "Evaluate COCO keypoint results against ground truth (pycocotools COCOeval, keypoints).",
        discussion: """
            Prints pycocotools' summary table (AP and AR over OKS .50:.05:.95, maxDets 20, areas all, medium,
            large). With --json prints {"stats": [AP, AP50, AP75, APm, APl, AR, AR50, AR75, ARm, ARl]}.

            Example:
              swiftpose cocoeval --annotations person_keypoints_val2017.json --results results.json
            """)

    @Option(help: "COCO ground truth, e.g. person_keypoints_val2017.json.")
    var annotations: String

    @Option(help: "COCO keypoint results: [{image_id, category_id, keypoints, score}].")
    var results: String

    @Flag(help: "Print the 10 stats as JSON instead of the table.")
    var json = false

    @Flag(help: ArgumentHelp("Print load and evaluation times to stderr (for Tools/bench_cocoeval.py).",
                             visibility: .hidden))
    var timing = false

    func run() throws {
        let start = DispatchTime.now()
        let evaluation = try CocoKeypointEval.load(annotations: URL(fileURLWithPath: annotations),
                                                   results: URL(fileURLWithPath: results))
        let loaded = DispatchTime.now()
        let summary = evaluation.evaluate()
        if timing {
            let ms = { (a: DispatchTime, b: DispatchTime) in Double(b.uptimeNanoseconds - a.uptimeNanoseconds) / 1e6 }
            let line = String(format: "cocoeval timing: load %.1f ms, evaluate %.1f ms\n", ms(start, loaded),
                              ms(loaded, DispatchTime.now()))
            FileHandle.standardError.write(Data(line.utf8))
        }
        if json {
            print("{\"stats\": [\(summary.stats.map { "\($0)" }.joined(separator: ", "))]}")
        } else {
            summary.lines.forEach { print($0) }
        }
    }
}
