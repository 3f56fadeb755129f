// The test-time pipeline of SimpleBaseline (`lib/core/function.py` `validate` + `lib/dataset/coco.py` `evaluate`)
// with the network abstracted as a closure: person boxes (ground truth or detector results) → crops as in
// training without augmentation → heatmaps (with flip test) → argmax + quarter offset (or DARK) → image
// coordinates → rescoring → OKS-NMS per image → COCO results → COCOeval.
// N = crops in a batch, K = joints, [H, W] = input size, [h, w] = heatmap size.
import Foundation
import Keypoints

/// Where the person boxes of an evaluation come from.
public enum EvalBoxes: Sendable, Equatable {
    /// The ground-truth boxes of the split (SimpleBaseline `TEST.USE_GT_BBOX`), score 1.
    case groundTruth
    /// A COCO detection results file; person boxes scoring below `scoreThreshold` are dropped
    /// (SimpleBaseline `TEST.IMAGE_THRE`, 0.0 in its COCO configs).
    case detections(URL, scoreThreshold: Double)
}

/// One batch handed to the network.
public struct EvalBatch: Sendable {
    /// [N, 3, H, W] float32, normalized crops; mirrored along W when `flipped`.
    public var images: [Float]
    /// N.
    public var count: Int
    /// Whether this is the mirrored copy of the batch (flip test): the network sees it right after the plain one.
    public var flipped: Bool
    /// The N crops' meta (image id, center, scale, box score, joints in crop pixels).
    public var meta: [SampleMeta]
    /// [N, K, h, w] targets of the ground-truth joints through the same crop (unmirrored, whatever `flipped`
    /// says; all zero-weight noise for detector boxes, whose joints are unknown).
    public var targets: [Float]
}

/// Where an evaluation is, for progress lines.
public struct EvalProgress: Sendable {
    /// Crops predicted so far.
    public var done: Int
    /// Crops in the whole evaluation.
    public var total: Int
    /// Seconds since the evaluation started.
    public var elapsed: Double
}

/// The outcome of `TopDownEvaluator.evaluate`.
public struct TopDownEvaluation: Sendable {
    /// One prediction per crop, in instance order, scored with the box score (before rescoring).
    public var predictions: [PersonPrediction]
    /// The rescored predictions OKS-NMS keeps: what the results file holds.
    public var results: [PersonPrediction]
    /// COCOeval on `results`: the 10 stats and pycocotools' table.
    public var summary: CocoEvalSummary
    /// SimpleBaseline's heatmap accuracy per joint (ground-truth boxes only; `nil` for detector boxes).
    public var jointAccuracy: JointAccuracy?
    /// Whether the heatmaps were flip-tested.
    public var flipTest: Bool
    /// Wall time of the whole evaluation, and the part spent inside the network closure.
    public var seconds: Double
    public var networkSeconds: Double

    /// The stats' names in `summary.stats` order.
    public static let statNames = ["AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl"]

    /// Writes `results` as a COCO keypoint results file, atomically.
    public func writeResults(to url: URL) throws {
        try writeCocoResults(results, to: url)
    }

    /// `{"stats": [10], "AP": …, …, "joint_accuracy": {"names": […], "values": […], "mean": …}, "instances": N,
    /// "results": M, "flip_test": true, "seconds": …}`, keys sorted, numbers round-tripping exactly.
    public func metricsJSON(metainfo: KeypointMetainfo = .coco) throws -> Data {
        struct Accuracy: Encodable {
            var names: [String]
            var values: [Double?]
            var mean: Double
            var threshold: Double
        }
        struct Metrics: Encodable {
            var stats: [Double]
            var named: [String: Double]
            var jointAccuracy: Accuracy?
            var instances: Int
            var results: Int
            var flipTest: Bool
            var seconds: Double
            var networkSeconds: Double

            enum Key: String, CodingKey {
                case stats, instances, results
                case jointAccuracy = "joint_accuracy", flipTest = "flip_test", seconds, networkSeconds = "network_seconds"
            }
            struct NameKey: CodingKey {
                var stringValue: String
                var intValue: Int? { nil }
                init(stringValue: String) { self.stringValue = stringValue }
                init?(intValue: Int) { nil }
            }
            func encode(to encoder: Encoder) throws {
                var container = encoder.container(keyedBy: Key.self)
                try container.encode(stats, forKey: .stats)
                try container.encodeIfPresent(jointAccuracy, forKey: .jointAccuracy)
                try container.encode(instances, forKey: .instances)
                try container.encode(results, forKey: .results)
                try container.encode(flipTest, forKey: .flipTest)
                try container.encode(seconds, forKey: .seconds)
                try container.encode(networkSeconds, forKey: .networkSeconds)
                var names = encoder.container(keyedBy: NameKey.self)
                for (name, value) in named { try names.encode(value, forKey: NameKey(stringValue: name)) }
            }
        }
        let accuracy = jointAccuracy.map {
            Accuracy(names: metainfo.jointNames, values: $0.perJoint, mean: $0.mean, threshold: $0.threshold)
        }
        let metrics = Metrics(stats: summary.stats,
                              named: Dictionary(uniqueKeysWithValues: zip(Self.statNames, summary.stats)),
                              jointAccuracy: accuracy, instances: predictions.count, results: results.count,
                              flipTest: flipTest, seconds: seconds, networkSeconds: networkSeconds)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(metrics)
    }

    /// Writes `metrics.json` (see `metricsJSON`) atomically.
    public func writeMetrics(to url: URL, metainfo: KeypointMetainfo = .coco) throws {
        try writeAtomically(metricsJSON(metainfo: metainfo), to: url)
    }
}

/// SimpleBaseline's top-down test: crops, a network closure, flip test, decoding, rescoring, OKS-NMS, COCOeval.
///
///     let evaluator = TopDownEvaluator()                       // 192x256 → 48x64, flip test, quarter offset
///     let dataset = try CocoDataset(root: root, split: "val2017")
///     let outcome = try evaluator.evaluate(dataset: dataset, boxes: .groundTruth) { images, n in
///         try network(images, n)                               // [N, 3, 256, 192] → [N, 17, 64, 48]
///     }
///     print(outcome.summary.lines.joined(separator: "\n"))
public struct TopDownEvaluator: Sendable {
    /// Input and heatmap sizes and the decoder (SimpleBaseline: 192x256 crops, 48x64 maps, sigma 2).
    public var codec: MSRAHeatmapCodec
    /// Joint count, flip pairs and OKS sigmas.
    public var metainfo: KeypointMetainfo
    /// Input normalization of the crops (ImageNet mean/std, RGB; `bgr` for checkpoints trained on BGR).
    public var normalization: InputNormalization
    /// Which OpenCV warp arithmetic the crops reproduce.
    public var arithmetic: WarpArithmetic
    /// `TEST.FLIP_TEST`: average with the flipped-back heatmaps of the mirrored crop.
    public var flipTest: Bool
    /// `TEST.SHIFT_HEATMAP`: shift the flipped-back heatmaps one cell right.
    public var shiftHeatmap: Bool
    /// `TEST.POST_PROCESS` (quarter offset), none, or DARK.
    public var refinement: HeatmapRefinement
    /// `TEST.BATCH_SIZE_PER_GPU`.
    public var batchSize: Int
    /// Threads decoding and cropping images ahead of the network (0 = on the calling thread).
    public var workers: Int
    /// `TEST.IN_VIS_THRE`: joints above it enter the rescoring mean.
    public var inVisThreshold: Double
    /// `TEST.OKS_THRE`: OKS-NMS suppression threshold.
    public var oksThreshold: Double

    public init(codec: MSRAHeatmapCodec = MSRAHeatmapCodec(), metainfo: KeypointMetainfo = .coco,
                normalization: InputNormalization = .imageNet, arithmetic: WarpArithmetic = .float32,
                flipTest: Bool = true, shiftHeatmap: Bool = true, refinement: HeatmapRefinement = .quarterOffset,
                batchSize: Int = 32, workers: Int = 2, inVisThreshold: Double = 0.2, oksThreshold: Double = 0.9) {
        self.codec = codec
        self.metainfo = metainfo
        self.normalization = normalization
        self.arithmetic = arithmetic
        self.flipTest = flipTest
        self.shiftHeatmap = shiftHeatmap
        self.refinement = refinement
        self.batchSize = batchSize
        self.workers = workers
        self.inVisThreshold = inVisThreshold
        self.oksThreshold = oksThreshold
    }

    /// The crops' pipeline: SimpleBaseline's test crop (no augmentation) with this evaluator's codec.
    public var pipeline: TopdownPipeline {
        TopdownPipeline(encoder: codec, augmentation: .none, metainfo: metainfo, normalization: normalization,
                        crop: .standard, arithmetic: arithmetic)
    }

    /// The persons to crop: the split's instances (ground truth) or the detector's person boxes, with
    /// center/scale as in training (aspect fix, ×1.25 padding).
    public func instances(dataset: CocoDataset, boxes: EvalBoxes) throws -> [PersonInstance] {
        switch boxes {
        case .groundTruth:
            return dataset.instances
        case let .detections(url, threshold):
            let detected = try CocoDetections.load(
                at: url, imageDirectory: dataset.root.appendingPathComponent(dataset.split),
                inputSize: codec.inputSize, numJoints: metainfo.numJoints, imageThreshold: threshold)
            let known = Set(dataset.annotations.images.map(\.id))
            if let stray = detected.first(where: { !known.contains($0.imageId) }) {
                throw EvalError.unknownDetectionImage(file: url.lastPathComponent, imageId: stray.imageId,
                                                      groundTruth: CocoDataset.annotationURL(root: dataset.root, split: dataset.split).lastPathComponent)
            }
            // The reference loads images by the detection's file name; give each the split's file name.
            let names = Dictionary(dataset.annotations.images.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            return detected.map { instance in
                var instance = instance
                if let image = names[instance.imageId] { instance.imagePath = dataset.imageURL(for: image).path }
                return instance
            }
        }
    }

    /// Runs the whole test on `dataset` with `predictHeatmaps(images [N, 3, H, W], N) -> heatmaps [N, K, h, w]`.
    /// - Parameter progress: called after every batch.
    public func evaluate(dataset: CocoDataset, boxes: EvalBoxes, progress: ((EvalProgress) -> Void)? = nil,
                         predictHeatmaps: (_ images: [Float], _ count: Int) throws -> [Float]) throws -> TopDownEvaluation {
        try evaluate(dataset: dataset, boxes: boxes, progress: progress, predictBatch: { try predictHeatmaps($0.images, $0.count) })
    }

    /// `evaluate` with a closure that also sees each batch's meta and ground-truth targets (tests, fake networks).
    public func evaluate(dataset: CocoDataset, boxes: EvalBoxes, progress: ((EvalProgress) -> Void)? = nil,
                         predictBatch: (EvalBatch) throws -> [Float]) throws -> TopDownEvaluation {
        let start = DispatchTime.now()
        let persons = try instances(dataset: dataset, boxes: boxes)
        guard !persons.isEmpty else {
            throw EvalError.noInstances(split: dataset.split, boxes: boxes.description)
        }
        let heatmap = codec.heatmapSize
        let k = metainfo.numJoints
        let loader = DataLoader(instances: persons, pipeline: pipeline, batchSize: batchSize, shuffle: false,
                                seed: 0, workers: workers)
        var accuracy = boxes == .groundTruth ? JointAccuracy(joints: k) : nil
        var predictions: [PersonPrediction] = []
        predictions.reserveCapacity(persons.count)
        var networkSeconds = 0.0
        var done = 0
        var b = 0
        for batch in loader.epoch(0) {
            // The loader skips unreadable images with a warning; the test needs every crop: name the first.
            let expected = Array((b * batchSize)..<min((b + 1) * batchSize, persons.count))
            if batch.indices != expected, let missing = expected.first(where: { !batch.indices.contains($0) }) {
                let path = persons[missing].imagePath
                do {
                    _ = try decodeImage(at: URL(fileURLWithPath: path))
                } catch {
                    throw EvalError.unreadable(file: path, reason: "\(error)")
                }
                throw EvalError.unreadable(file: path, reason: "the loader could not read it")
            }
            b += 1
            let n = batch.count
            let shape = HeatmapBatchShape(n: n, k: k, height: heatmap.height, width: heatmap.width)
            var plain = EvalBatch(images: batch.images, count: n, flipped: false, meta: batch.meta, targets: batch.targets)
            let t0 = DispatchTime.now()
            var output = try checkedOutput(predictBatch(plain), shape: shape)
            if flipTest {
                plain.images = mirrorColumns(batch.images, width: codec.inputSize.width)
                plain.flipped = true
                let flipped = try checkedOutput(predictBatch(plain), shape: shape)
                output = flipTestAverage(output: output, flippedOutput: flipped, shape: shape,
                                         flipPairs: metainfo.flipPairs, shiftHeatmap: shiftHeatmap)
            }
            networkSeconds += seconds(since: t0)
            accuracy?.add(predicted: output, target: batch.targets, shape: shape)
            let plane = k * heatmap.area
            for i in 0..<n {
                let meta = batch.meta[i]
                let joints = codec.decode(Array(output[(i * plane)..<((i + 1) * plane)]), center: meta.center,
                                          scale: meta.scale, refinement: refinement)
                var keypoints: [Double] = []
                keypoints.reserveCapacity(3 * k)
                for joint in joints {
                    keypoints += [joint.position.x, joint.position.y, Double(joint.score)]
                }
                // all_boxes[:, 4] = np.prod(s * 200, 1) on the float32 scale.
                let area = Float(Float(meta.scale.x) * 200) * Float(Float(meta.scale.y) * 200)
                predictions.append(PersonPrediction(imageId: meta.imageId, keypoints: keypoints, area: Double(area),
                                                    score: meta.score))
            }
            done += n
            progress?(EvalProgress(done: done, total: persons.count, elapsed: seconds(since: start)))
        }
        let kept = rescoreAndSuppress(predictions, inVisThreshold: inVisThreshold, oksThreshold: oksThreshold,
                                      sigmas: metainfo.sigmas)
        let evaluation = try CocoKeypointEval(
            groundTruth: dataset.annotations, results: kept.map { $0.result() },
            groundTruthName: CocoDataset.annotationURL(root: dataset.root, split: dataset.split).lastPathComponent,
            resultsName: "results")
        return TopDownEvaluation(predictions: predictions, results: kept, summary: evaluation.evaluate(),
                                 jointAccuracy: accuracy, flipTest: flipTest, seconds: seconds(since: start),
                                 networkSeconds: networkSeconds)
    }

    private func checkedOutput(_ output: [Float], shape: HeatmapBatchShape) throws -> [Float] {
        guard output.count == shape.count else {
            throw EvalError.badNetworkOutput(count: output.count, expected: shape.count,
                                             shape: [shape.n, shape.k, shape.height, shape.width])
        }
        return output
    }
}

extension EvalBoxes: CustomStringConvertible {
    public var description: String {
        switch self {
        case .groundTruth: return "ground-truth boxes"
        case let .detections(url, threshold): return "detections \(url.lastPathComponent) (score >= \(threshold))"
        }
    }
}

/// Every row of `width` values reversed: `np.flip(input, 3)` on [N, C, H, W].
func mirrorColumns(_ values: [Float], width: Int) -> [Float] {
    var out = [Float](repeating: 0, count: values.count)
    let rows = values.count / width
    values.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for r in 0..<rows {
                let o = r * width
                for x in 0..<width { dst[o + x] = src[o + width - 1 - x] }
            }
        }
    }
    return out
}

func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}
