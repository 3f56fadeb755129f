// Training checkpoints: one safetensors file (written atomically: temp file + fsync + rename) holding
//   - the model state dict under its PyTorch names, unprefixed (`conv1.weight`, …), so the file loads as
//     plain weights (`swiftpose forward --weights`, or PyTorch `load_state_dict(strict=False)`);
//   - the optimizer state as `optimizer.<parameter key>.<field>` (`exp_avg`, `exp_avg_sq`, `step`,
//     `momentum_buffer`; torch.optim's field names, logical order);
//   - `__metadata__` strings: `swiftpose_checkpoint` (layout version), `model`, `width`, `upsample`, `joints`,
//     `epoch` (0-based epoch in progress), `batch_in_epoch` (micro-batches of it done; 0 at an epoch
//     boundary), `iteration` (optimizer steps so far), `best_ap`/`best_epoch`, `scheduler` and `rng` (JSON),
//     `seed`, `optimizer` (type) and `config` (the resolved config, YAML).
import Foundation
import NN
import Optim
import PoseModels

/// Where a run stands: what a checkpoint must restore besides weights and optimizer state.
public struct TrainingProgress: Sendable, Equatable {
    /// 0-based epoch in progress (equal to `schedule.epochs` when training is finished).
    public var epoch = 0
    /// Micro-batches of `epoch` already trained (0 at an epoch boundary; a multiple of `accumulation_steps`).
    public var batchInEpoch = 0
    /// Optimizer steps since the start of training (the warmup's iteration counter).
    public var iteration = 0
    /// Best validation AP so far and the epoch (1-based, completed) it was measured after.
    public var bestAP: Double?
    public var bestEpoch: Int?

    public init() {}
}

/// Reads and writes training checkpoints (layout in the file header).
public enum TrainingCheckpoint {
    /// Prefix of optimizer-state keys; model keys carry none.
    public static let optimizerPrefix = "optimizer."
    /// `__metadata__["swiftpose_checkpoint"]` of this layout.
    public static let version = "1"

    /// What a checkpoint file holds.
    public struct Contents {
        public var model: [String: TensorData]
        public var optimizer: [NamedArray]
        public var progress: TrainingProgress
        public var config: TrainConfig
        public var metadata: [String: String]
    }

    /// Writes model, optimizer and progress with `config` to `url` atomically.
    public static func write(model: Module, optimizer: any Optimizer, progress: TrainingProgress,
                             config: TrainConfig, to url: URL) throws {
        var tensors = model.stateDict()
        for array in optimizer.stateArrays() {
            tensors[optimizerPrefix + array.name] = TensorData(shape: array.shape, floats: array.values)
        }
        try SafetensorsFile.write(tensors, metadata: metadata(progress: progress, config: config), to: url)
    }

    static func metadata(progress: TrainingProgress, config: TrainConfig) -> [String: String] {
        let schedule = config.lrSchedule
        var m: [String: String] = [
            "format": "pt",
            "swiftpose_checkpoint": version,
            "model": config.model.name, "width": config.model.width.rawValue,
            "upsample": config.model.upsample.rawValue, "joints": String(config.model.joints),
            "epoch": String(progress.epoch), "batch_in_epoch": String(progress.batchInEpoch),
            "iteration": String(progress.iteration),
            "seed": String(config.train.seed),
            "optimizer": config.optimizer.type.rawValue,
            "scheduler": """
                {"type":"WarmupMultiStepLR","base_lr":\(schedule.baseLR),"warmup_iters":\(schedule.warmupIterations),\
                "warmup_factor":\(schedule.warmupStartFactor),"milestones":\(schedule.milestones),"gamma":\(schedule.gamma),\
                "last_iteration":\(progress.iteration),"last_epoch":\(progress.epoch),\
                "lr":\(schedule.lr(iteration: progress.iteration, epoch: progress.epoch))}
                """,
            // Every random draw of training comes from SeededRandom(seed, epoch, dataset index) (per sample)
            // and SeededRandom(seed, epoch, -1) (the epoch's shuffle): (seed, epoch, batch_in_epoch) is the whole state.
            "rng": "{\"kind\":\"SeededRandom(seed, epoch, index)\",\"seed\":\(config.train.seed),\"epoch\":\(progress.epoch),\"batch_in_epoch\":\(progress.batchInEpoch)}",
            "config": config.yamlString(),
        ]
        if let best = progress.bestAP, let epoch = progress.bestEpoch {
            m["best_ap"] = String(best)
            m["best_epoch"] = String(epoch)
        }
        return m
    }

    /// Reads a checkpoint; throws `TrainingError.notATrainingCheckpoint` for plain weights files.
    public static func read(_ url: URL) throws -> Contents {
        guard FileManager.default.fileExists(atPath: url.path) else { throw TrainingError.missingCheckpoint(file: url.path) }
        let (tensors, metadata) = try SafetensorsFile.read(url)
        guard metadata["swiftpose_checkpoint"] != nil, let yaml = metadata["config"] else {
            throw TrainingError.notATrainingCheckpoint(file: url.path)
        }
        func int(_ key: String) throws -> Int {
            guard let text = metadata[key], let value = Int(text) else {
                throw CheckpointError.malformed(file: url.path, reason: "__metadata__ \(key) is missing or not an integer")
            }
            return value
        }
        var progress = TrainingProgress()
        progress.epoch = try int("epoch")
        progress.batchInEpoch = try int("batch_in_epoch")
        progress.iteration = try int("iteration")
        progress.bestAP = metadata["best_ap"].flatMap(Double.init)
        progress.bestEpoch = metadata["best_epoch"].flatMap(Int.init)
        let config = try TrainConfig.load(yaml: yaml, source: "\(url.lastPathComponent) (config metadata)")
        var model: [String: TensorData] = [:]
        var optimizer: [NamedArray] = []
        for (key, data) in tensors {
            if key.hasPrefix(optimizerPrefix) {
                optimizer.append(NamedArray(name: String(key.dropFirst(optimizerPrefix.count)), shape: data.shape,
                                            values: data.floats()))
            } else {
                model[key] = data
            }
        }
        return Contents(model: model, optimizer: optimizer, progress: progress, config: config, metadata: metadata)
    }

    /// The first setting that differs between a checkpoint's config and the current one, ignoring settings
    /// that do not change the trained weights (data root and workers, epochs, logging, checkpoint cadence,
    /// evaluation). Nil when the run can be resumed bit for bit.
    public static func incompatibility(checkpoint: TrainConfig, current: TrainConfig) -> String? {
        let free: Set<String> = ["data.root", "data.workers", "schedule.epochs", "train.log_interval",
                                 "train.checkpoint_interval", "model.pretrained"]
        for field in TrainConfig.fields where !free.contains(field.path) && !field.path.hasPrefix("eval.") {
            let a = field.formattedValue(in: checkpoint), b = field.formattedValue(in: current)
            if a != b { return "\(field.path) is \(a) in the checkpoint but \(b) in this run" }
        }
        return nil
    }
}
