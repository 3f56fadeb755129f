// `swiftpose data`: what a COCO keypoint split holds as SimpleBaseline sees it, and every problem in it.
import ArgumentParser
import Foundation
import Keypoints

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect a COCO person-keypoint split: images, persons, instances and problems.",
        discussion: """
            Counts instances as SimpleBaseline does (crowd and keypoint-less persons skipped, boxes cleaned and \
            clipped to the image) and lists every problem found: missing image files, keypoint arrays of the \
            wrong length, degenerate boxes.

            Examples:
              swiftpose data --data ../shared/data/coco-small --split val2017 --json
              swiftpose data --data ../shared/data/coco-small --split train2017 --render 8 --out crops
            """)

    @Option(name: .customLong("data"), help: ArgumentHelp("Dataset root holding annotations/ and the image folders.", valueName: "ROOT"))
    var root: String

    @Option(help: "Split: train2017 or val2017 (any name with annotations/person_keypoints_<split>.json).")
    var split: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Option(help: ArgumentHelp("Write the first N input crops (192x256, no augmentation) with their joints drawn.", valueName: "N"))
    var render: Int?

    @Option(help: ArgumentHelp("Folder for --render output (JPEGs named <image id>_<annotation id>.jpg).", valueName: "DIR"))
    var out: String?

    @Flag(help: ArgumentHelp("Benchmark the training pipeline (decode + augment + targets) on the split instead.",
                             visibility: .hidden))
    var bench = false

    @Option(name: .customLong("threads"), help: ArgumentHelp("Loader threads to benchmark (repeatable).", visibility: .hidden))
    var benchThreads: [Int] = [1, 2]

    @Option(name: .customLong("samples"), help: ArgumentHelp("Samples per benchmark run.", visibility: .hidden))
    var benchSamples: Int = 600

    func validate() throws {
        if let render {
            guard render > 0 else { throw ValidationError("--render must be positive, got \(render)") }
            guard out != nil else { throw ValidationError("--render needs --out DIR") }
        }
        guard !split.isEmpty, !split.contains("/") else { throw ValidationError("--split: '\(split)' is not a split name") }
        guard benchThreads.allSatisfy({ $0 >= 1 }), benchSamples > 0 else {
            throw ValidationError("--threads and --samples must be positive")
        }
    }

    func run() throws {
        if bench { return try runBenchmark() }
        let rootURL = URL(fileURLWithPath: root)
        let dataset = try CocoDataset(root: rootURL, split: split, strict: false, checkImageFiles: true)
        if json {
            struct Report: Encodable {
                struct Problem: Encodable {
                    var kind: String
                    var image_id: Int
                    var annotation_id: Int?
                    var message: String
                }
                var images: Int
                var images_with_persons: Int
                var instances: Int
                var problems: [Problem]
            }
            let report = Report(
                images: dataset.annotations.images.count, images_with_persons: dataset.imagesWithPersons,
                instances: dataset.instances.count,
                problems: dataset.problems.map {
                    .init(kind: $0.kind.rawValue, image_id: $0.imageId, annotation_id: $0.annotationId, message: $0.message)
                })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print("split \(split) at \(rootURL.path)")
            print("images:              \(dataset.annotations.images.count)")
            print("images with persons: \(dataset.imagesWithPersons)")
            print("instances:           \(dataset.instances.count)")
            print("problems:            \(dataset.problems.count)")
            for problem in dataset.problems { print("  \(problem.kind.rawValue): \(problem.message)") }
        }
        if let render, let out {
            try renderCrops(dataset, count: render, to: URL(fileURLWithPath: out))
        }
    }

    /// Writes `count` evaluation crops with their ground-truth joints as JPEGs named `<image>_<annotation>.jpg`.
    func renderCrops(_ dataset: CocoDataset, count: Int, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let input = GridSize(width: 192, height: 256)
        var written = 0
        for instance in dataset.instances.prefix(count) {
            let image: Image
            do {
                image = try decodeImage(at: URL(fileURLWithPath: instance.imagePath))
            } catch {
                FileHandle.standardError.write(Data("swiftpose: warning: skipping \(instance.imagePath): \(error)\n".utf8))
                continue
            }
            let matrix = getAffineTransform(center: instance.center, scale: instance.scale, rotation: 0, outputSize: input)
            var crop = warpAffine(image, matrix, outputSize: input)
            let joints = instance.joints.map { matrix.apply($0) }
            crop.drawSkeleton(keypoints: joints, scores: instance.jointsVisible)
            let name = "\(instance.imageId)_\(instance.annotationId ?? 0).jpg"
            try writeImage(crop, to: directory.appendingPathComponent(name))
            written += 1
        }
        if !json { print("rendered \(written) crops to \(directory.path)") }
    }
}
