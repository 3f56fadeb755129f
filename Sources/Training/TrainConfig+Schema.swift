// The key table of `TrainConfig`: every YAML key with its type, its place in the struct and its
// documentation. Loading, `--set`, writing back and `configs/README.md` all follow this one list.
import Keypoints
import NN
import Tensors
import Yams

/// One YAML key of the training configuration.
public struct ConfigField: Sendable {
    /// Dotted path, e.g. `optimizer.lr`.
    public let path: String
    /// The expected type in words, for errors and docs (`a number`, `one of adam, sgd`).
    public let typeName: String
    /// One sentence on what the key does.
    public let doc: String
    let assign: @Sendable (inout TrainConfig, Node) -> Bool
    let format: @Sendable (TrainConfig) -> String

    /// The value of this key in `config`, written as YAML flow text that is also JSON.
    public func formattedValue(in config: TrainConfig) -> String { format(config) }
}

/// A type a config key can hold: parsed from a YAML node, written back as YAML/JSON flow text.
protocol ConfigValue: Sendable {
    static var typeName: String { get }
    static func parse(_ node: Node) -> Self?
    var flowText: String { get }
}

extension TrainConfig {
    /// The YAML sections, in file order.
    public static let sections = ["model", "data", "optimizer", "schedule", "train", "eval"]

    /// Every key, in file order.
    public static let fields: [ConfigField] = [
        field("model.name", \.model.name,
              "Model: `res18` … `res152` (SimpleBaseline head) or `resN_R` (multi-scale head over the last R ∈ {2, 3, 4} scales), e.g. `res50_3`."),
        field("model.width", \.model.width,
              "Multi-scale deconv widths: `paper` (each deconv keeps its growing input width; the paper's parameter counts) or `fixed` (256)."),
        field("model.upsample", \.model.upsample,
              "How coarse predictions are resized to the finest scale before averaging (`align_corners=False`)."),
        field("model.joints", \.model.joints, "Number of keypoints (17 for COCO)."),
        field("model.pretrained", \.model.pretrained,
              "ImageNet ResNet weights (torchvision names, safetensors) loaded into the backbone only; `null` trains from scratch."),
        field("data.root", \.data.root,
              "Dataset root in COCO layout (`annotations/person_keypoints_{train,val}2017.json`, `{train,val}2017/`); `--data` overrides it."),
        field("data.input_size", \.data.inputSize, "Crop size `[w, h]` fed to the network (`256x192` in file names is h×w)."),
        field("data.heatmap_size", \.data.heatmapSize, "Target heatmap size `[w, h]` (input / 4)."),
        field("data.sigma", \.data.sigma, "Gaussian sigma of the target heatmaps, in heatmap cells."),
        field("data.augmentation", \.data.augmentation,
              "Augmentation recipe: `simplebaseline` (SimpleBaseline/HRNet `JointsDataset`), `mmpose` (RandomFlip, RandomHalfBody, RandomBBoxTransform) or `none`."),
        field("data.flip", \.data.flip, "Random horizontal flip while training (probability 0.5)."),
        field("data.scale_factor", \.data.scaleFactor,
              "Scale jitter: simplebaseline ×clip(N(0,1)·sf + 1, 1 − sf, 1 + sf); mmpose uniform in [1 − sf, 1 + sf]."),
        field("data.rotation_factor", \.data.rotationFactor,
              "Rotation jitter in degrees: simplebaseline clip(N(0,1)·rf, −2rf, 2rf); mmpose truncated normal × rf."),
        field("data.rotation_prob", \.data.rotationProb, "Probability of rotating a training sample."),
        field("data.shift_factor", \.data.shiftFactor, "mmpose box shift: truncated normal × factor × box size (simplebaseline ignores it)."),
        field("data.shift_prob", \.data.shiftProb, "Probability of the mmpose box shift (simplebaseline ignores it)."),
        field("data.half_body_prob", \.data.halfBodyProb, "Probability of the half-body crop (0 disables it)."),
        field("data.color_order", \.data.colorOrder,
              "Channel order of the network input; `bgr` reproduces HRNet's `COLOR_RGB: false` recipe."),
        field("data.workers", \.data.workers, "Loader threads preparing batches."),
        field("optimizer.type", \.optimizer.type, "Optimizer with torch.optim semantics."),
        field("optimizer.lr", \.optimizer.lr, "Base learning rate, before warmup and step decay."),
        field("optimizer.betas", \.optimizer.betas, "Adam `[β1, β2]`."),
        field("optimizer.eps", \.optimizer.eps, "Adam epsilon."),
        field("optimizer.weight_decay", \.optimizer.weightDecay,
              "L2 penalty added to the gradient (torch `weight_decay`; for Adam this is not AdamW)."),
        field("optimizer.momentum", \.optimizer.momentum, "SGD momentum."),
        field("optimizer.nesterov", \.optimizer.nesterov, "SGD Nesterov momentum."),
        field("schedule.epochs", \.schedule.epochs, "Training epochs."),
        field("schedule.warmup_iters", \.schedule.warmupIters,
              "Linear warmup length in iterations (mmengine `LinearLR(by_epoch=False, end=…)`); 0 disables warmup."),
        field("schedule.warmup_factor", \.schedule.warmupFactor, "Learning-rate factor at iteration 0 of the warmup (mmengine `start_factor`)."),
        field("schedule.milestones", \.schedule.milestones, "Epochs (0-based) from which the learning rate is multiplied by `gamma` once more."),
        field("schedule.gamma", \.schedule.gamma, "Step-decay factor at each milestone."),
        field("train.batch_size", \.train.batchSize, "Images per optimizer step (the reference's total batch over all GPUs)."),
        field("train.accumulation_steps", \.train.accumulationSteps,
              "Forward/backward passes per optimizer step; each sees `batch_size / accumulation_steps` images (the reference's per-GPU batch, also the BatchNorm batch)."),
        field("train.loss", \.train.loss,
              "Loss form: `simplebaseline` (JointsMSELoss: 0.5 × MSE per joint, averaged) or `mmpose` (KeypointMSELoss with target weights)."),
        field("train.seed", \.train.seed, "Seed of initialisation, shuffling and augmentation."),
        field("train.log_interval", \.train.logInterval, "Iterations between progress lines and JSONL log records."),
        field("train.checkpoint_interval", \.train.checkpointInterval, "Epochs between numbered checkpoints (`latest` is written every epoch)."),
        field("train.precision", \.train.precision,
              "Convolution arithmetic while training: `fp32`, or `bf16` autocast (bf16 inputs and weights, fp32 accumulation; master weights, batch norm, loss and optimizer stay fp32; needs native bf16, e.g. avx512_bf16/AMX)."),
        field("train.winograd", \.train.winograd,
              "fp32 3×3 stride-1 backbone convolutions as Winograd F(4×4, 3×3) where the CPU has AVX-512 (about 1.2× faster res50 training here; rounding differs from direct convolution's, not the arithmetic precision); `false`: direct, as PyTorch."),
        field("train.recompute", \.train.recompute,
              "Recompute batch-norm, ReLU and residual-add outputs in backward instead of keeping them (fp32; as mmpose's `with_cp`, but only the cheap elementwise ops): about a third less training memory for res50 at the cost of a few percent of time; the same gradients."),
        field("eval.flip_test", \.eval.flipTest, "Average the heatmaps of each crop and its mirror (shifted one pixel, as SimpleBaseline)."),
        field("eval.boxes", \.eval.boxes, "Person boxes for validation: ground truth (`gt`) or detections from `eval.box_file` (`file`)."),
        field("eval.box_file", \.eval.boxFile, "COCO detection results, relative to `data.root` unless absolute; read when `eval.boxes` is `file`."),
        field("eval.interval", \.eval.interval, "Epochs between validations."),
        field("eval.batch_size", \.eval.batchSize, "Images per evaluation forward pass."),
    ]

    /// Every key path, in file order.
    public static var keyPaths: [String] { fields.map(\.path) }

    static let fieldsByPath: [String: ConfigField] = Dictionary(uniqueKeysWithValues: fields.map { ($0.path, $0) })

    private static func field<V: ConfigValue>(_ path: String, _ keyPath: WritableKeyPath<TrainConfig, V> & Sendable,
                                              _ doc: String) -> ConfigField {
        ConfigField(path: path, typeName: V.typeName, doc: doc,
                    assign: { config, node in
                        guard let value = V.parse(node) else { return false }
                        config[keyPath: keyPath] = value
                        return true
                    },
                    format: { config in config[keyPath: keyPath].flowText })
    }
}

// MARK: - Value types

/// A plain (unquoted) scalar's text; quoted scalars are strings, never numbers or booleans.
private func plainScalar(_ node: Node) -> String? {
    guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return nil }
    return scalar.string
}

extension Int: ConfigValue {
    static var typeName: String { "an integer" }
    static func parse(_ node: Node) -> Int? { plainScalar(node).flatMap { Int($0) } }
    var flowText: String { String(self) }
}

extension Double: ConfigValue {
    static var typeName: String { "a number" }
    static func parse(_ node: Node) -> Double? {
        guard let text = plainScalar(node), let value = Double(text), value.isFinite else { return nil }
        return value
    }
    /// Swift's shortest round-trip text, with a `.0` mantissa so YAML 1.1 readers (PyYAML) see a float: `1.0e-08`.
    var flowText: String {
        var text = "\(self)"
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }), !text[..<e].contains(".") {
            text.insert(contentsOf: ".0", at: e)
        }
        return text
    }
}

extension Bool: ConfigValue {
    static var typeName: String { "true or false" }
    static func parse(_ node: Node) -> Bool? {
        switch plainScalar(node) {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }
    var flowText: String { self ? "true" : "false" }
}

extension String: ConfigValue {
    static var typeName: String { "a string" }
    static func parse(_ node: Node) -> String? {
        guard case .scalar(let scalar) = node else { return nil }
        if scalar.style == .plain && node.null != nil { return nil }
        return scalar.string
    }
    /// A double-quoted string, escaped for both YAML and JSON.
    var flowText: String {
        var out = "\""
        for scalar in unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension Optional: ConfigValue where Wrapped == String {
    static var typeName: String { "a string or null" }
    static func parse(_ node: Node) -> String?? {
        if case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any, node.null != nil {
            return .some(nil)
        }
        return String.parse(node).map { .some($0) }
    }
    var flowText: String { map(\.flowText) ?? "null" }
}

extension Array: ConfigValue where Element: ConfigValue {
    static var typeName: String {
        switch Element.typeName {
        case Int.typeName: return "a list of integers"
        case Double.typeName: return "a list of numbers"
        default: return "a list of values"
        }
    }
    static func parse(_ node: Node) -> [Element]? {
        guard case .sequence(let sequence) = node else { return nil }
        var out: [Element] = []
        for item in sequence {
            guard let value = Element.parse(item) else { return nil }
            out.append(value)
        }
        return out
    }
    var flowText: String { "[" + map(\.flowText).joined(separator: ", ") + "]" }
}

extension ConfigSize: ConfigValue {
    static var typeName: String { "a list [w, h] of two integers" }
    static func parse(_ node: Node) -> ConfigSize? {
        guard let values = [Int].parse(node), values.count == 2 else { return nil }
        return ConfigSize(width: values[0], height: values[1])
    }
    var flowText: String { "[\(width), \(height)]" }
}

/// Enumerations are written as their raw value and parsed from it.
protocol ConfigEnum: ConfigValue, RawRepresentable<String>, CaseIterable {}

extension ConfigEnum {
    static var typeName: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }
    static func parse(_ node: Node) -> Self? {
        guard case .scalar(let scalar) = node else { return nil }
        return Self(rawValue: scalar.string)
    }
    var flowText: String { rawValue.flowText }
}

extension Width: ConfigEnum {}
extension Upsample: ConfigEnum {}
extension AugmentationKind: ConfigEnum {}
extension ColorOrder: ConfigEnum {}
extension OptimizerKind: ConfigEnum {}
extension LossForm: ConfigEnum {}
extension BoxSource: ConfigEnum {}
extension Precision: ConfigEnum {}
