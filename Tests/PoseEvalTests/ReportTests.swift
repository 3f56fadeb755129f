import Foundation
import Keypoints
import Testing
@testable import PoseEval

@Suite("report.html")
struct ReportTests {
    static let log = """
        {"type": "train", "epoch": 0, "iter": 0, "loss": 0.0021, "lr": 0.0005}
        {"type": "train", "epoch": 0, "iter": 50, "loss": 0.0017, "lr": 0.0005}

        {"type": "val", "epoch": 0, "AP": 0.12}
        {"type": "train", "epoch": 1, "iter": 100, "loss": 0.0012, "lr": 0.0005}
        {"type": "val", "epoch": 1, "AP": 0.31}
        {"type": "epoch_summary", "epoch": 1, "skipped": 0}
        """

    /// The `d` attribute of every `<path>` in `svg`.
    func pathData(_ svg: String) -> [String] {
        svg.components(separatedBy: "<path d=\"").dropFirst().compactMap { $0.components(separatedBy: "\"").first }
    }

    /// A path `M x y L x y …` with every coordinate a number inside the `width` × `height` view box.
    func isValidPath(_ d: String, width: Double, height: Double) -> Bool {
        let tokens = d.split(separator: " ")
        guard tokens.count >= 2, tokens.count % 2 == 0, tokens[0].hasPrefix("M") else { return false }
        for i in stride(from: 0, to: tokens.count, by: 2) {
            guard i == 0 || tokens[i].hasPrefix("L"),
                  let x = Double(tokens[i].dropFirst()), let y = Double(tokens[i + 1]) else { return false }
            guard (0...width).contains(x), (0...height).contains(y) else { return false }
        }
        return true
    }

    @Test("the training log parses train and val records, skipping blank lines and other types")
    func parsesLog() throws {
        let log = try TrainingLog.parse(Self.log, file: "log.jsonl")
        #expect(log.train.map(\.loss) == [0.0021, 0.0017, 0.0012])
        #expect(log.val == [.init(epoch: 0, ap: 0.12), .init(epoch: 1, ap: 0.31)])
        #expect(log.lossPoints.xLabel == "iteration")
        #expect(log.lossPoints.points.map(\.x) == [0, 50, 100])
    }

    @Test("iterations counted per epoch plot against the record's position")
    func perEpochIterations() throws {
        let log = try TrainingLog.parse("""
            {"type": "train", "epoch": 0, "iter": 0, "loss": 3}
            {"type": "train", "epoch": 0, "iter": 10, "loss": 2}
            {"type": "train", "epoch": 1, "iter": 0, "loss": 1}
            """, file: "log.jsonl")
        #expect(log.lossPoints.xLabel == "logged step")
        #expect(log.lossPoints.points == [SIMD2(0, 3), SIMD2(1, 2), SIMD2(2, 1)])
    }

    @Test("a malformed log line is an error naming the file and line")
    func malformedLogLine() {
        #expect(throws: EvalError.malformed(file: "log.jsonl", detail: "line 2 is not a log record {\"type\": …}")) {
            _ = try TrainingLog.parse("{\"type\": \"val\", \"epoch\": 0, \"AP\": 0.1}\n{oops\n", file: "log.jsonl")
        }
    }

    @Test("svgLinePlot draws one valid path per series inside its view box")
    func plotHasValidPath() {
        let svg = svgLinePlot([PlotSeries(name: "loss", points: [SIMD2(0, 3), SIMD2(1, 2), SIMD2(2, .nan), SIMD2(3, 1)])],
                              title: "loss <train>", xLabel: "iteration", yLabel: "loss", width: 400, height: 200)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>"))
        #expect(svg.contains("loss &lt;train&gt;"))
        let paths = pathData(svg)
        #expect(paths.count == 1)
        #expect(paths.allSatisfy { isValidPath($0, width: 400, height: 200) }, "\(paths)")
        #expect(paths.first?.split(separator: " ").count == 6)  // three finite points
    }

    @Test("svgLinePlot without data says so instead of drawing a path")
    func emptyPlot() {
        let svg = svgLinePlot([PlotSeries(name: "AP", points: [])], title: "AP", xLabel: "epoch", yLabel: "AP")
        #expect(pathData(svg).isEmpty)
        #expect(svg.contains("no data"))
    }

    @Test("report.html holds the 10 stats, per-joint accuracy, inline images and SVG curves, written atomically")
    func reportContents() throws {
        let dataset = try CocoDataset(root: Fixtures.cocoSmall(), split: "val2017")
        let evaluator = TopDownEvaluator(flipTest: false)
        let evaluation = try evaluator.evaluate(dataset: dataset, boxes: .groundTruth,
                                                predictBatch: TopDownEvaluatorTests().groundTruthNetwork(evaluator))
        let images = try EvalReport.renderPredictions(evaluation, dataset: dataset, count: 2, maxSide: 160)
        #expect(images.count == 2)
        #expect(images.allSatisfy { max($0.image.width, $0.image.height) <= 160 })
        let report = EvalReport(evaluation: evaluation, settings: [("boxes", "ground truth")], images: images,
                                trainingLog: try TrainingLog.parse(Self.log, file: "log.jsonl"))
        let html = try report.html()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        for name in TopDownEvaluation.statNames { #expect(html.contains("<th>\(name)</th>")) }
        for stat in evaluation.summary.stats { #expect(html.contains("<td>\(String(format: "%.3f", stat))</td>")) }
        #expect(html.contains("<td class=\"name\">left_ankle</td><td>1.000</td>"))
        #expect(html.components(separatedBy: "src=\"data:image/jpeg;base64,").count == 3)
        let paths = pathData(html)
        #expect(paths.count == 2)  // loss and AP
        #expect(paths.allSatisfy { isValidPath($0, width: 520, height: 260) }, "\(paths)")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("report.html")
        try report.write(to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == html)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["report.html"])
    }

    @Test("a report without joint accuracy or log has neither section")
    func reportWithoutOptionalSections() throws {
        var evaluation = try TopDownEvaluator(flipTest: false).evaluate(
            dataset: CocoDataset(root: Fixtures.cocoSmall(), split: "val2017"), boxes: .groundTruth) { _, n in
            [Float](repeating: 0, count: n * 17 * 64 * 48)
        }
        evaluation.jointAccuracy = nil
        let html = try EvalReport(evaluation: evaluation).html()
        #expect(!html.contains("Per-joint accuracy"))
        #expect(!html.contains("<svg"))
        #expect(html.contains("<th>AP</th>"))
    }
}
