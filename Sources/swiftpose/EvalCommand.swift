// `swiftpose eval`: the SimpleBaseline test pipeline on a COCO split, scored with COCOeval.
import ArgumentParser
import Foundation
import Keypoints
import NN
import PoseEval
import Training

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate weights on a COCO keypoint split: flip test, decoding, rescoring, OKS-NMS, COCO AP/AR.",
        discussion: """
            Crops every person (ground-truth boxes, or a COCO person-detection results file), runs the network \
            (and on the mirrored crops with --flip), decodes with the quarter-pixel offset, rescales to the image, \
            rescoring and OKS-NMS 0.9 as SimpleBaseline, then COCOeval (identical to pycocotools). Writes \
            DIR/results.json and DIR/metrics.json; --report adds DIR/report.html.

            Example:
              swiftpose eval --config configs/quickstart.yaml --weights work_dirs/quickstart/best.safetensors --report
            """)

    @Option(help: "Config (YAML) giving the model, input size and test settings.")
    var config: String

    @OptionGroup var engine: EngineArguments

    @Option(help: "Weights: .safetensors with PyTorch state_dict names (a training checkpoint works too).")
    var weights: String

    @Option(help: "Dataset root (COCO layout); default: the config's data.root.")
    var data: String?

    @Option(help: "Split to evaluate.")
    var split: String = "val2017"

    @Option(help: "gt (ground-truth boxes) or the path of a COCO person-detection results JSON.")
    var boxes: String = "gt"

    @Option(help: "Minimum detection score kept with a detection file (SimpleBaseline's image_thre).")
    var boxThreshold: Double = 0.0

    @Flag(inversion: .prefixedNo, help: "Flip test (default: the config's eval.flip_test).")
    var flip: Bool?

    @Option(help: "Output folder.")
    var out: String = "eval-output"

    @Flag(help: "Also write report.html (stats, per-joint accuracy, rendered predictions, curves from --log).")
    var report = false

    @Option(help: "Training log (JSONL) whose loss and AP curves the report shows.")
    var log: String?

    @Option(name: .customLong("set"), help: "Override a config key (key.path=value); repeatable.")
    var overrides: [String] = []

    func run() throws {
        var cfg = try TrainConfig.load(file: config, overrides: overrides)
        if let data { cfg.data.root = data }
        let model = try cfg.makeModel()
        let colorOrder = try loadWeights(weights, into: model)
        if let colorOrder, let order = ColorOrder(rawValue: colorOrder), order != cfg.data.colorOrder {
            print("note: \(weights) expects \(colorOrder.uppercased()) input; using it instead of the config's \(cfg.data.colorOrder)")
            cfg.data.colorOrder = order
        }
        let root = URL(fileURLWithPath: cfg.data.root)
        let dataset = try CocoDataset(root: root, split: split, inputSize: cfg.codec.inputSize)
        let evaluator = cfg.makeEvaluator(flipTest: flip)
        let source: EvalBoxes = boxes == "gt"
            ? .groundTruth : .detections(URL(fileURLWithPath: boxes), scoreThreshold: boxThreshold)
        let progress = ProgressLine(label: "eval")
        let evaluation = try evaluator.evaluate(
            dataset: dataset, boxes: source, progress: { progress.update(done: $0.done, total: $0.total, elapsed: $0.elapsed) },
            predictBatch: heatmapPredictor(model, inputSize: cfg.codec.inputSize, engine: engine.engine))
        progress.finish()
        let folder = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try evaluation.writeResults(to: folder.appendingPathComponent("results.json"))
        try evaluation.writeMetrics(to: folder.appendingPathComponent("metrics.json"))
        evaluation.summary.lines.forEach { print($0) }
        if report {
            let images = try EvalReport.renderPredictions(evaluation, dataset: dataset)
            let trainingLog = try log.map { try TrainingLog.load(from: URL(fileURLWithPath: $0)) }
            let settings = [("model", cfg.model.name), ("weights", weights), ("split", split),
                            ("boxes", source.description), ("flip test", "\(evaluator.flipTest)"),
                            ("engine", engine.engine.rawValue)]
            try EvalReport(evaluation: evaluation, settings: settings, images: images, trainingLog: trainingLog)
                .write(to: folder.appendingPathComponent("report.html"))
        }
        print("wrote \(folder.path)/results.json, metrics.json\(report ? ", report.html" : "")")
    }
}

/// A progress line on stderr: rewritten in place on a terminal, every 10% otherwise.
final class ProgressLine {
    let label: String
    let isTerminal = isatty(2) != 0
    var lastDecile = -1

    init(label: String) { self.label = label }

    func update(done: Int, total: Int, elapsed: Double) {
        let text = String(format: "%@ %d/%d (%.1f s)", label, done, total, elapsed)
        if isTerminal {
            FileHandle.standardError.write(Data("\r\(text)".utf8))
        } else if done * 10 / max(total, 1) != lastDecile {
            lastDecile = done * 10 / max(total, 1)
            FileHandle.standardError.write(Data("\(text)\n".utf8))
        }
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
