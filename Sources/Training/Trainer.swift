// The training loop: epochs over the loader; per optimizer step, `accumulation_steps` micro-batches of
// forward (train mode) → loss (`train.loss`) → backward (gradients accumulate, each micro-batch weighted by
// its share of the step's images, so the step equals one big-batch step), then Adam/SGD at the schedule's lr
// and zeroGrad. Validation (COCO AP via `TopDownEvaluator`) every `eval.interval` epochs and after the last;
// `latest` every epoch, `best` by AP, `epoch_<n>` every `train.checkpoint_interval` epochs; a JSONL log.
//
// Exact resume: every random draw comes from `SeededRandom(seed, epoch, index)`, the checkpoint holds the
// weights, BN statistics, optimizer state and (epoch, batch_in_epoch, iteration), and the lr is a function of
// (iteration, epoch); so training resumed from any checkpoint, at an epoch boundary or mid-epoch (after a
// SIGINT), gives bit-identical weights to an uninterrupted run (same machine, same thread count).
import Foundation
import Keypoints
import NN
import Optim
import PoseEval
import PoseModels
import Tensors

/// How `Trainer.run()` ended.
public enum TrainOutcome: Sendable, Equatable {
    /// Every epoch is done.
    case finished
    /// `shouldStop` asked to stop: `latest` holds the state after the last finished iteration.
    case interrupted(checkpoint: URL)
}

/// A validation result.
public struct Validation: Sendable {
    /// Completed epochs when it ran (1-based).
    public var epoch: Int
    /// COCO keypoint AP (pycocotools `stats[0]`) and the 10 stats.
    public var ap: Double
    public var stats: [Double]
    public var seconds: Double
    /// The whole evaluation (predictions, results, summary), for reports.
    public var evaluation: TopDownEvaluation
}

/// Trains a `PoseNet` as a `TrainConfig` says.
///
///     let trainer = try Trainer(config: config, workDir: URL(fileURLWithPath: "work_dirs/quickstart"))
///     try trainer.resume(from: trainer.latestURL)        // optional
///     trainer.shouldStop = { flag.isSet }                   // e.g. set by a SIGINT handler
///     let outcome = try trainer.run()
public final class Trainer {
    public let config: TrainConfig
    public let workDir: URL
    public let model: PoseNet
    public let optimizer: any Optimizer
    public let schedule: WarmupMultiStepLR
    /// Training split loader (micro-batches of `config.microBatchSize`).
    public let loader: DataLoader
    /// The validation split (nil when the root has no `val2017` annotations).
    public let valDataset: CocoDataset?
    public private(set) var progress = TrainingProgress()
    /// Polled after every optimizer step; true saves `latest` and returns `.interrupted`.
    public var shouldStop: () -> Bool = { false }
    /// Receives each finished log line (default: stdout).
    public var output: (String) -> Void = { print($0); fflush(stdout) }
    /// Rewrites one live progress line instead of printing periodic lines (default: stdout is a TTY).
    public var liveProgress = isatty(1) == 1
    /// Validate every `eval.interval` epochs and after the last (false: never; tests).
    public var validationEnabled = true
    /// Lines reported while setting up (pretrained weights, dataset sizes).
    public private(set) var setupLines: [String] = []

    public var latestURL: URL { workDir.appendingPathComponent("latest.safetensors") }
    public var bestURL: URL { workDir.appendingPathComponent("best.safetensors") }
    public var logURL: URL { workDir.appendingPathComponent("log.jsonl") }
    /// The checkpoint the last save wrote (kept when a later iteration fails).
    public private(set) var lastCheckpoint: URL?

    /// Builds the model (seeded init, then `model.pretrained`), the optimizer and the data. Writes nothing.
    public init(config: TrainConfig, workDir: URL) throws {
        try config.validate()
        self.config = config
        self.workDir = workDir
        let input = config.data.inputSize, heatmap = config.data.heatmapSize
        guard input.width % 32 == 0, input.height % 32 == 0 else {
            throw ConfigError.invalidValue(key: "data.input_size", source: "config",
                                           message: "must be multiples of 32 (the backbone's stride), got \(input)")
        }
        guard heatmap.width * 4 == input.width, heatmap.height * 4 == input.height else {
            throw ConfigError.invalidValue(key: "data.heatmap_size", source: "config",
                                           message: "must be data.input_size / 4 (the network's output), got \(heatmap) for input \(input)")
        }
        model = try config.makeModel()
        model.initializeWeights(seed: UInt64(config.train.seed))
        if let pretrained = config.model.pretrained {
            setupLines += try loadPretrainedBackbone(from: URL(fileURLWithPath: pretrained), into: model)
        }
        let named = model.namedParameters()
        optimizer = try config.makeOptimizer(parameters: named.map(\.tensor), names: named.map(\.key))
        schedule = config.lrSchedule

        let root = URL(fileURLWithPath: config.data.root)
        let trainFile = CocoDataset.annotationURL(root: root, split: "train2017")
        guard FileManager.default.fileExists(atPath: trainFile.path) else {
            let missing = FileManager.default.fileExists(atPath: root.path) ? trainFile.path : "the folder"
            throw TrainingError.missingDataRoot(root: config.data.root, missing: missing)
        }
        let train = try CocoDataset(root: root, split: "train2017", inputSize: config.data.inputSize)
        guard !train.instances.isEmpty else { throw TrainingError.emptyDataset(file: trainFile.path) }
        loader = DataLoader(instances: train.instances, pipeline: config.trainPipeline, batchSize: config.microBatchSize,
                            shuffle: true, dropLast: false, seed: UInt64(config.train.seed), workers: config.data.workers)
        let valFile = CocoDataset.annotationURL(root: root, split: "val2017")
        let val = FileManager.default.fileExists(atPath: valFile.path)
            ? try CocoDataset(root: root, split: "val2017", inputSize: config.data.inputSize) : nil
        valDataset = val?.instances.isEmpty == false ? val : nil
        setupLines.append("train: \(train.instances.count) people in \(train.imagesWithPersons) images; "
            + "\(loader.batchCount) micro-batches of \(config.microBatchSize), \(stepsPerEpoch) steps per epoch"
            + (valDataset.map { "; val: \($0.instances.count) people" } ?? "; no val2017 split: validation skipped"))
    }

    /// Optimizer steps per epoch.
    public var stepsPerEpoch: Int { (loader.batchCount + config.train.accumulationSteps - 1) / config.train.accumulationSteps }

    // MARK: - Resume

    /// Restores weights, optimizer state and progress from a checkpoint written by a run of the same model and
    /// config (settings that do not change the weights may differ: epochs, logging, data root, evaluation).
    /// Checks everything before changing anything; writes nothing.
    public func resume(from url: URL) throws {
        let contents = try TrainingCheckpoint.read(url)
        let theirs = contents.config.model, ours = config.model
        if (theirs.name, theirs.width, theirs.upsample, theirs.joints) != (ours.name, ours.width, ours.upsample, ours.joints) {
            throw TrainingError.resumeMismatch(
                file: url.path, reason: "it holds \(theirs.name) (width \(theirs.width.rawValue), \(theirs.upsample.rawValue), "
                    + "\(theirs.joints) joints) but this run trains \(ours.name) (width \(ours.width.rawValue), "
                    + "\(ours.upsample.rawValue), \(ours.joints) joints)")
        }
        if let difference = TrainingCheckpoint.incompatibility(checkpoint: contents.config, current: config) {
            throw TrainingError.resumeMismatch(file: url.path, reason: "another config: \(difference)")
        }
        if let error = compareStateDict(contents.model, expected: model.stateShapes()).error(file: url.path) { throw error }
        let saved = model.stateDict()
        try model.loadStateDict(contents.model, file: url.path)
        do {
            try optimizer.loadStateArrays(contents.optimizer)
        } catch {
            try? model.loadStateDict(saved, file: url.path)
            throw TrainingError.resumeMismatch(file: url.path, reason: "\(error)")
        }
        progress = contents.progress
        lastCheckpoint = url
    }

    // MARK: - The loop

    /// Trains until `schedule.epochs` (from the resumed progress, if any) or until `shouldStop()`.
    public func run() throws -> TrainOutcome {
        try FileManager.default.createDirectory(at: workDir, withIntermediateDirectories: true)
        try config.write(to: workDir.appendingPathComponent("config.yaml").path)
        let log = try JSONLog(url: logURL)
        var reporter = ProgressReporter(trainer: self)
        model.train()
        model.requiresGrad(true)
        let accumulation = config.train.accumulationSteps
        while progress.epoch < config.schedule.epochs {
            let epoch = progress.epoch
            let batches = loader.epoch(epoch, from: progress.batchInEpoch)
            var inGroup = 0
            var groupLoss = 0.0
            var groupImages = 0
            for batch in batches {
                let first = progress.batchInEpoch + inGroup
                if inGroup == 0 { groupImages = 0 }
                let share = Float(nominalImages(batch: first)) / Float(nominalGroupImages(firstBatch: first - inGroup))
                let loss = try forwardBackward(batch, gradientScale: share)
                groupLoss += Double(share) * Double(loss)
                groupImages += batch.count
                inGroup += 1
                guard inGroup == accumulation || first + 1 == loader.batchCount else { continue }
                let lr = schedule.lr(iteration: progress.iteration, epoch: epoch)
                optimizer.step(lr: lr)
                optimizer.zeroGrad()
                progress.iteration += 1
                progress.batchInEpoch += inGroup
                reporter.step(loss: groupLoss, lr: lr, images: groupImages, log: log)
                inGroup = 0
                groupLoss = 0
                if shouldStop() {
                    reporter.finishLine()
                    try save(to: latestURL)
                    return .interrupted(checkpoint: latestURL)
                }
            }
            reporter.finishLine()
            progress.epoch += 1
            progress.batchInEpoch = 0
            let completed = progress.epoch
            var isBest = false
            if validationEnabled && valDataset != nil
                && (completed % config.eval.interval == 0 || completed == config.schedule.epochs) {
                let result = try validate()
                log.write(["type": .string("val"), "epoch": .int(completed), "AP": .double(result.ap),
                           "AR": .double(result.stats[5]), "seconds": .double(result.seconds)])
                if progress.bestAP.map({ result.ap > $0 }) ?? true {
                    progress.bestAP = result.ap
                    progress.bestEpoch = completed
                    isBest = true
                }
                output(String(format: "epoch %d: val AP %.4f (AR %.4f, %.1f s)%@", completed, result.ap, result.stats[5],
                              result.seconds, isBest ? ", best so far" : ""))
                if completed == config.schedule.epochs {
                    let written = try writeReport(result)
                    if !written.isEmpty { output("wrote " + written.map(\.path).joined(separator: ", ")) }
                }
            }
            try save(to: latestURL)
            if isBest { try save(to: bestURL) }
            if config.train.checkpointInterval > 0 && completed % config.train.checkpointInterval == 0 {
                try save(to: workDir.appendingPathComponent("epoch_\(completed).safetensors"))
            }
        }
        return .finished
    }

    /// Writes a checkpoint of the current state (atomic).
    public func save(to url: URL) throws {
        try TrainingCheckpoint.write(model: model, optimizer: optimizer, progress: progress, config: config, to: url)
        lastCheckpoint = url
    }

    /// Images of micro-batch `b` when no image is skipped.
    func nominalImages(batch b: Int) -> Int {
        min(loader.batchSize, loader.instances.count - b * loader.batchSize)
    }

    /// Images of the optimizer step whose first micro-batch is `firstBatch`.
    func nominalGroupImages(firstBatch: Int) -> Int {
        let end = min(firstBatch + config.train.accumulationSteps, loader.batchCount)
        return (firstBatch..<end).reduce(0) { $0 + nominalImages(batch: $1) }
    }

    /// One micro-batch: forward in train mode, loss, backward with d loss = `gradientScale` (the batch's share of
    /// the step's images, 1 without accumulation). Returns the loss; throws on NaN/inf before any update.
    public func forwardBackward(_ batch: Batch, gradientScale: Float = 1) throws -> Float {
        let n = batch.count
        let input = config.data.inputSize, heatmap = config.data.heatmapSize, k = config.model.joints
        let x = Tensor(shape: [n, 3, input.height, input.width], values: batch.images)
        let y = withRecomputation(config.train.recompute) {
            withWinograd(config.train.winograd) { withAutocast(config.train.precision) { model(x) } }
        }
        let loss = config.train.loss.loss(
            y, target: Tensor(shape: [n, k, heatmap.height, heatmap.width], values: batch.targets),
            weights: Tensor(shape: [n, k], values: batch.targetWeights))
        let value = loss.item()
        guard value.isFinite else {
            Tape.reset()
            optimizer.zeroGrad()
            throw TrainingError.nonFiniteLoss(loss: value, epoch: progress.epoch, iteration: progress.iteration,
                                              lastCheckpoint: lastCheckpoint?.path)
        }
        backward(loss, gradient: Tensor(scalar: gradientScale))
        return value
    }

    /// COCO keypoint AP on the val split (ground-truth or detector boxes as `eval.boxes`), eval mode, no tape.
    public func validate() throws -> Validation {
        guard let dataset = valDataset else { throw TrainingError.missingDataRoot(root: config.data.root, missing: "val2017 annotations") }
        let evaluator = config.makeEvaluator()
        let boxes: EvalBoxes = config.eval.boxes == .gt ? .groundTruth
            : .detections(URL(fileURLWithPath: config.eval.boxFile, relativeTo: dataset.root), scoreThreshold: 0)
        defer { model.train() }
        let result = try withWinograd(config.train.winograd) {
            try evaluator.evaluate(dataset: dataset, boxes: boxes,
                                   predictBatch: heatmapPredictor(model, inputSize: config.data.inputSize))
        }
        return Validation(epoch: progress.epoch, ap: result.summary.stats[0], stats: result.summary.stats,
                          seconds: result.seconds, evaluation: result)
    }

    /// After the last validation: `val_results.json` (COCO results), `val_metrics.json`, `predictions/*.jpg`
    /// (the first val images with their predicted skeletons) and `report.html` (stats, curves, images).
    public func writeReport(_ validation: Validation, images count: Int = 6) throws -> [URL] {
        guard let dataset = valDataset else { return [] }
        let evaluation = validation.evaluation
        let results = workDir.appendingPathComponent("val_results.json")
        let metrics = workDir.appendingPathComponent("val_metrics.json")
        try evaluation.writeResults(to: results)
        try evaluation.writeMetrics(to: metrics)
        let rendered = try EvalReport.renderPredictions(evaluation, dataset: dataset, count: count)
        let folder = workDir.appendingPathComponent("predictions")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (i, image) in rendered.enumerated() {
            try writeImage(image.image, to: folder.appendingPathComponent(String(format: "val_%02d.jpg", i)))
        }
        let report = EvalReport(
            title: "SwiftPose training: \(config.model.name) after \(validation.epoch) epochs", evaluation: evaluation,
            settings: [("model", config.model.name), ("input", "\(config.data.inputSize.width)x\(config.data.inputSize.height) (w x h)"),
                       ("data", config.data.root), ("boxes", config.eval.boxes.rawValue), ("work dir", workDir.path)],
            images: rendered, trainingLog: try? TrainingLog.load(from: logURL))
        let page = workDir.appendingPathComponent("report.html")
        try report.write(to: page)
        return [results, metrics, folder, page]
    }
}

// MARK: - The config's data pipeline

extension TrainConfig {
    /// The training sample pipeline: augmentation recipe of `data.*`, crop, MSRA heatmap targets.
    public var trainPipeline: TopdownPipeline {
        let augmentation: AugmentationRecipe
        switch data.augmentation {
        case .none:
            augmentation = .none
        case .simplebaseline:
            var p = SimpleBaselineAugmentation()
            p.scaleFactor = data.scaleFactor
            p.rotationFactor = data.rotationFactor
            p.rotationProbability = data.rotationProb
            p.flip = data.flip
            p.halfBodyProbability = data.halfBodyProb
            augmentation = .simpleBaseline(p)
        case .mmpose:
            var p = MMPoseAugmentation()
            p.flipProbability = data.flip ? 0.5 : 0
            p.halfBodyProbability = data.halfBodyProb
            p.shiftFactor = data.shiftFactor
            p.shiftProbability = data.shiftProb
            p.scaleMin = 1 - data.scaleFactor
            p.scaleMax = 1 + data.scaleFactor
            p.rotateFactor = data.rotationFactor
            p.rotateProbability = data.rotationProb
            augmentation = .mmpose(p)
        }
        return TopdownPipeline(encoder: codec, augmentation: augmentation, normalization: normalization)
    }
}
