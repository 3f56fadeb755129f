// `swiftpose predict`: keypoints on user images, as JSON and rendered skeletons.
import ArgumentParser
import Foundation
import Keypoints
import PoseEval
import PoseModels
import Training

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict keypoints on images: a JSON file and the images with skeletons drawn.",
        discussion: """
            SwiftPose is top-down and has no person detector: without --boxes the whole image is one person box. \
            --boxes takes a JSON list of {"image": FILE_NAME, "bbox": [x, y, w, h], "score": S} (score optional). \
            Writes DIR/keypoints.json ([{image, bbox, score, keypoints: [x, y, confidence] * K}]) and \
            DIR/<image>.jpg with the skeletons.

            Example:
              swiftpose predict --model res50_3 --weights res50_3.safetensors --image person.jpg --out predictions
            """)

    @OptionGroup var model: ModelArguments

    @OptionGroup var engine: EngineArguments

    @Option(help: "Weights (.safetensors; a training checkpoint works too).")
    var weights: String

    @Option(name: .customLong("image"), help: "An image (JPEG or PNG); repeatable.")
    var images: [String] = []

    @Option(help: "A folder of images (*.jpg, *.jpeg, *.png).")
    var dir: String?

    @Option(help: "Person boxes (JSON list of {image, bbox, score}); default: the whole image.")
    var boxes: String?

    @Option(help: "Network input size, WxH (multiples of 32).")
    var inputSize: String = "192x256"

    @Flag(inversion: .prefixedNo, help: "Flip test.")
    var flip = true

    @Option(help: "Output folder.")
    var out: String

    struct Box: Codable {
        var image: String
        var bbox: [Double]
        var score: Double?
    }

    struct Prediction: Codable {
        var image: String
        var bbox: [Double]
        var score: Double
        var keypoints: [Double]
    }

    func validate() throws {
        guard !images.isEmpty || dir != nil else { throw ValidationError("give --image PATH (repeatable) or --dir DIR") }
        guard parsedInputSize() != nil else { throw ValidationError("--input-size \(inputSize): expected WxH with multiples of 32, e.g. 192x256") }
    }

    func parsedInputSize() -> GridSize? { parseInputSize(inputSize) }

    func imagePaths() throws -> [String] {
        var paths = images
        if let dir {
            let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            paths += names.filter { ["jpg", "jpeg", "png"].contains(($0 as NSString).pathExtension.lowercased()) }
                .map { (dir as NSString).appendingPathComponent($0) }
        }
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            throw CLIError("\(path): no such image")
        }
        return paths
    }

    func run() throws {
        let net = try model.makeModel()
        let colorOrder = try loadWeights(weights, into: net)
        let size = parsedInputSize()!
        let paths = try imagePaths()
        let given = try boxes.map { try JSONDecoder().decode([Box].self, from: Data(contentsOf: URL(fileURLWithPath: $0))) }
        let toCenterScale = BoxToCenterScale(inputSize: size)
        var persons: [PersonInstance] = []
        var personBoxes: [(image: String, bbox: [Double])] = []
        var decoded: [String: Image] = [:]
        for (index, path) in paths.enumerated() {
            let image = try decodeImage(at: URL(fileURLWithPath: path))
            decoded[path] = image
            let name = (path as NSString).lastPathComponent
            let mine = given?.filter { $0.image == name || $0.image == path }
                ?? [Box(image: name, bbox: [0, 0, Double(image.width), Double(image.height)], score: 1)]
            for box in mine {
                guard box.bbox.count == 4, box.bbox[2] > 0, box.bbox[3] > 0 else {
                    throw CLIError("\(boxes ?? ""): box \(box.bbox) of \(box.image) is not [x, y, w, h] with w, h > 0")
                }
                let (center, scale) = toCenterScale(x: box.bbox[0], y: box.bbox[1], w: box.bbox[2], h: box.bbox[3])
                persons.append(PersonInstance(imageId: index, annotationId: nil, imagePath: path, center: center,
                                              scale: scale, score: box.score ?? 1,
                                              joints: Array(repeating: .zero, count: model.joints),
                                              jointsVisible: Array(repeating: 0, count: model.joints)))
                personBoxes.append((path, box.bbox))
            }
        }
        let evaluator = TopDownEvaluator(
            codec: MSRAHeatmapCodec(inputSize: size, heatmapSize: GridSize(width: size.width / 4, height: size.height / 4),
                                    sigma: 2, metainfo: .coco),
            normalization: InputNormalization(bgr: colorOrder == "bgr"), flipTest: flip, batchSize: 8)
        let predicted = try evaluator.predict(persons: persons, predictBatch: heatmapPredictor(net, inputSize: size, engine: engine.engine))
        let output = zip(personBoxes, predicted.predictions).map { box, p in
            Prediction(image: box.image, bbox: box.bbox, score: p.score, keypoints: p.keypoints)
        }
        let folder = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for path in paths {
            var canvas = decoded[path]!
            for p in output where p.image == path {
                canvas.drawBox(p.bbox, color: RGBColor(255, 255, 255), thickness: 1)
                let points = (0..<model.joints).map { SIMD2(p.keypoints[3 * $0], p.keypoints[3 * $0 + 1]) }
                let scores = (0..<model.joints).map { p.keypoints[3 * $0 + 2] }
                canvas.drawSkeleton(keypoints: points, scores: scores)
            }
            let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension + ".jpg"
            try writeImage(canvas, to: folder.appendingPathComponent(name))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try encoder.encode(output.map { p in
            Prediction(image: (p.image as NSString).lastPathComponent, bbox: p.bbox, score: p.score, keypoints: p.keypoints)
        })
        let jsonURL = folder.appendingPathComponent("keypoints.json")
        let temporary = folder.appendingPathComponent(".keypoints.json.tmp")
        try json.write(to: temporary)
        guard rename(temporary.path, jsonURL.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: jsonURL.path])
        }
        print("wrote \(jsonURL.path) and \(paths.count) rendered images (\(persons.count) persons)")
    }
}
