// report.html: one self-contained page (inline CSS, base64 JPEGs, inline SVG) with an evaluation's 10 COCO stats,
// per-joint accuracy, a few rendered predictions and, given a training log, its loss and AP curves.
import Foundation
import Keypoints

/// A training log in JSON Lines: `{"type": "train", "epoch": E, "iter": I, "loss": L, "lr": R}` and
/// `{"type": "val", "epoch": E, "AP": A}` records; other types and extra keys are ignored.
public struct TrainingLog: Sendable, Equatable {
    public struct TrainRecord: Sendable, Equatable {
        public var epoch: Int
        public var iter: Int
        public var loss: Double
        public var lr: Double?
    }
    public struct ValRecord: Sendable, Equatable {
        public var epoch: Int
        public var ap: Double
    }
    public var train: [TrainRecord]
    public var val: [ValRecord]

    public init(train: [TrainRecord] = [], val: [ValRecord] = []) {
        self.train = train
        self.val = val
    }

    /// Parses JSON Lines; blank lines are skipped, a malformed line is an error naming the file and line.
    public static func parse(_ text: String, file: String) throws -> TrainingLog {
        struct Record: Decodable {
            var type: String
            var epoch: Int?
            var iter: Int?
            var loss: Double?
            var lr: Double?
            var AP: Double?
        }
        var log = TrainingLog()
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let record: Record
            do {
                record = try JSONDecoder().decode(Record.self, from: Data(trimmed.utf8))
            } catch {
                throw EvalError.malformed(file: file, detail: "line \(number + 1) is not a log record {\"type\": …}")
            }
            switch record.type {
            case "train":
                guard let epoch = record.epoch, let iter = record.iter, let loss = record.loss else {
                    throw EvalError.malformed(file: file, detail: "line \(number + 1): a train record needs epoch, iter and loss")
                }
                log.train.append(TrainRecord(epoch: epoch, iter: iter, loss: loss, lr: record.lr))
            case "val":
                guard let epoch = record.epoch, let ap = record.AP else {
                    throw EvalError.malformed(file: file, detail: "line \(number + 1): a val record needs epoch and AP")
                }
                log.val.append(ValRecord(epoch: epoch, ap: ap))
            default:
                continue
            }
        }
        return log
    }

    /// Reads and parses a `.jsonl` file.
    public static func load(from url: URL) throws -> TrainingLog {
        try parse(String(decoding: readFile(url), as: UTF8.self), file: url.lastPathComponent)
    }

    /// Loss points: x = `iter` when iterations never decrease through the file (a global step), otherwise the
    /// record's position (iterations counted per epoch).
    public var lossPoints: (points: [SIMD2<Double>], xLabel: String) {
        let global = zip(train, train.dropFirst()).allSatisfy { $0.iter <= $1.iter }
        if global {
            return (train.map { SIMD2(Double($0.iter), $0.loss) }, "iteration")
        }
        return (train.enumerated().map { SIMD2(Double($0.offset), $0.element.loss) }, "logged step")
    }
}

/// A rendered image for the report.
public struct ReportImage: Sendable {
    public var caption: String
    public var image: Image

    public init(caption: String, image: Image) {
        self.caption = caption
        self.image = image
    }
}

/// The evaluation report page.
public struct EvalReport: Sendable {
    public var title: String
    public var evaluation: TopDownEvaluation
    public var metainfo: KeypointMetainfo
    /// (name, value) lines shown under the title: model, weights, data, boxes, …
    public var settings: [(String, String)]
    public var images: [ReportImage]
    public var trainingLog: TrainingLog?

    public init(title: String = "SwiftPose evaluation", evaluation: TopDownEvaluation, metainfo: KeypointMetainfo = .coco,
                settings: [(String, String)] = [], images: [ReportImage] = [], trainingLog: TrainingLog? = nil) {
        self.title = title
        self.evaluation = evaluation
        self.metainfo = metainfo
        self.settings = settings
        self.images = images
        self.trainingLog = trainingLog
    }

    /// The whole page.
    public func html() throws -> String {
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(htmlEscape(title))</title>
            <style>
            body { font-family: sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
            th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
            th { background: #f3f3f3; } td.name, th.name { text-align: left; }
            figure { display: inline-block; margin: 0 1em 1em 0; } figcaption { font-size: 0.85em; color: #555; }
            pre { background: #f7f7f7; padding: 0.6em; }
            </style></head><body>
            <h1>\(htmlEscape(title))</h1>

            """
        if !settings.isEmpty {
            h += "<table class=\"settings\">"
            for (name, value) in settings {
                h += "<tr><th class=\"name\">\(htmlEscape(name))</th><td class=\"name\">\(htmlEscape(value))</td></tr>"
            }
            h += "</table>\n"
        }
        h += "<h2>COCO keypoint metrics</h2>\n<table class=\"stats\"><tr>"
        h += TopDownEvaluation.statNames.map { "<th>\($0)</th>" }.joined() + "</tr><tr>"
        h += evaluation.summary.stats.map { "<td>\(String(format: "%.3f", $0))</td>" }.joined() + "</tr></table>\n"
        h += "<p>\(evaluation.predictions.count) person crops, \(evaluation.results.count) results after rescoring "
            + "and OKS-NMS; flip test \(evaluation.flipTest ? "on" : "off"); "
            + String(format: "%.1f s (network %.1f s)", evaluation.seconds, evaluation.networkSeconds) + ".</p>\n"
        h += "<pre>\(htmlEscape(evaluation.summary.lines.joined(separator: "\n")))</pre>\n"

        if let accuracy = evaluation.jointAccuracy {
            h += "<h2>Per-joint accuracy</h2>\n<p>SimpleBaseline <code>accuracy</code>: argmax of predicted vs target "
                + "heatmap within \(accuracy.threshold) of a tenth of the heatmap size (PCK-style, ground-truth boxes).</p>\n"
            h += "<table class=\"joints\"><tr><th class=\"name\">joint</th><th>accuracy</th><th>joints counted</th></tr>"
            for (j, name) in metainfo.jointNames.enumerated() {
                let value = accuracy.perJoint[j].map { String(format: "%.3f", $0) } ?? "–"
                h += "<tr><td class=\"name\">\(htmlEscape(name))</td><td>\(value)</td><td>\(accuracy.counted[j])</td></tr>"
            }
            h += "<tr><th class=\"name\">mean</th><th>\(String(format: "%.3f", accuracy.mean))</th><th></th></tr></table>\n"
        }

        if let log = trainingLog {
            h += "<h2>Training</h2>\n"
            let loss = log.lossPoints
            h += svgLinePlot([PlotSeries(name: "loss", points: loss.points)], title: "training loss",
                             xLabel: loss.xLabel, yLabel: "loss") + "\n"
            h += svgLinePlot([PlotSeries(name: "AP", points: log.val.map { SIMD2(Double($0.epoch), $0.ap) },
                                         color: "#d62728")],
                             title: "validation AP", xLabel: "epoch", yLabel: "AP") + "\n"
        }

        if !images.isEmpty {
            h += "<h2>Predictions</h2>\n"
            for item in images {
                let jpeg = try encodeJPEG(item.image, quality: 85)
                h += "<figure><img alt=\"\(htmlEscape(item.caption))\" width=\"\(item.image.width)\" height=\"\(item.image.height)\" "
                    + "src=\"data:image/jpeg;base64,\(jpeg.base64EncodedString())\"><figcaption>\(htmlEscape(item.caption))</figcaption></figure>\n"
            }
        }
        return h + "</body></html>\n"
    }

    /// Writes the page to `url` atomically (temporary file + rename).
    public func write(to url: URL) throws {
        try writeAtomically(Data(html().utf8), to: url)
    }

    /// The first `count` images holding results, scaled so the longer side is at most `maxSide`, with every
    /// result of that image whose score is at least `minScore` drawn (joints above 0.2 confidence).
    public static func renderPredictions(_ evaluation: TopDownEvaluation, dataset: CocoDataset, count: Int = 4,
                                         maxSide: Int = 480, minScore: Double = 0.2,
                                         metainfo: KeypointMetainfo = .coco) throws -> [ReportImage] {
        var order: [Int] = []
        for result in evaluation.results where result.score >= minScore && !order.contains(result.imageId) {
            order.append(result.imageId)
            if order.count == count { break }
        }
        let images = Dictionary(dataset.annotations.images.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var style = SkeletonStyle()
        style.scoreThreshold = 0.2
        return try order.compactMap { imageId -> ReportImage? in
            guard let info = images[imageId] else { return nil }
            let url = dataset.imageURL(for: info)
            let full: Image
            do {
                full = try decodeImage(at: url)
            } catch {
                throw EvalError.unreadable(file: url.path, reason: "\(error)")
            }
            let s = min(1, Double(maxSide) / Double(max(full.width, full.height)))
            var image = s < 1
                ? warpAffine(full, AffineMatrix([s, 0, 0, 0, s, 0]),
                             outputSize: GridSize(width: max(1, Int(Double(full.width) * s)), height: max(1, Int(Double(full.height) * s))))
                : full
            let persons = evaluation.results.filter { $0.imageId == imageId && $0.score >= minScore }
            for person in persons {
                let k = person.keypoints.count / 3
                let points = (0..<k).map { SIMD2(person.keypoints[3 * $0] * s, person.keypoints[3 * $0 + 1] * s) }
                let scores = (0..<k).map { person.keypoints[3 * $0 + 2] }
                image.drawSkeleton(keypoints: points, scores: scores, metainfo: metainfo, style: style)
            }
            return ReportImage(caption: "image \(imageId): \(persons.count) person(s)", image: image)
        }
    }
}
