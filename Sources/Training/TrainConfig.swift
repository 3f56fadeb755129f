// The training configuration: plain data, one struct per YAML section (`configs/README.md` documents
// every key). Defaults are mmpose 1.x's `td-hm_res50_8xb64-210e_coco-256x192.py` recipe; a YAML file
// only needs the keys it changes. Loading, validation and `--set` overrides live in
// `TrainConfig+YAML.swift`, the key table in `TrainConfig+Schema.swift`.
import Keypoints
import NN
import Tensors

/// Everything a training run reads: model, data, optimizer, schedule, training loop and evaluation.
public struct TrainConfig: Sendable, Equatable, Codable {
    public var model = ModelSection()
    public var data = DataSection()
    public var optimizer = OptimizerSection()
    public var schedule = ScheduleSection()
    public var train = TrainSection()
    public var eval = EvalSection()

    public init() {}

    /// `model:` which network to build (DESIGN §3 names).
    public struct ModelSection: Sendable, Equatable, Codable {
        /// `res18` … `res152` (SimpleBaseline) or `resN_R` (multi-scale head over the last R scales).
        public var name = "res50"
        public var width = Width.paper
        public var upsample = Upsample.bilinear
        public var joints = 17
        /// ImageNet ResNet weights (torchvision names) loaded into the backbone only; nil = random init.
        public var pretrained: String? = nil
        public init() {}
    }

    /// `data:` dataset root, crop and target geometry, augmentation.
    public struct DataSection: Sendable, Equatable, Codable {
        /// COCO layout root (DESIGN §3), or the synthetic dataset `swiftpose synth` writes.
        public var root = "data/coco"
        /// Crop size `[w, h]` (mmpose `input_size`, the file name's `256x192` is h×w).
        public var inputSize = ConfigSize(width: 192, height: 256)
        /// Target heatmap size `[w, h]`.
        public var heatmapSize = ConfigSize(width: 48, height: 64)
        /// Gaussian sigma of the target heatmaps, in heatmap cells.
        public var sigma = 2.0
        public var augmentation = AugmentationKind.mmpose
        /// Random horizontal flip while training (probability 0.5).
        public var flip = true
        /// Scale jitter: SimpleBaseline `SCALE_FACTOR` (×clip(N·sf+1, 1±sf)); mmpose `RandomBBoxTransform`
        /// scale range `[1 − sf, 1 + sf]` (0.5 → mmpose's `(0.5, 1.5)`).
        public var scaleFactor = 0.5
        /// Rotation jitter in degrees: SimpleBaseline `ROT_FACTOR` (clip(N·rf, ±2rf)); mmpose `rotate_factor`.
        public var rotationFactor = 80.0
        /// Probability of rotating a sample.
        public var rotationProb = 0.6
        /// mmpose `RandomBBoxTransform(shift_factor)` (ignored by the simplebaseline recipe).
        public var shiftFactor = 0.16
        /// mmpose `RandomBBoxTransform(shift_prob)` (ignored by the simplebaseline recipe).
        public var shiftProb = 0.3
        /// Half-body augmentation probability (0 disables it).
        public var halfBodyProb = 0.3
        /// Channel order of the network input; `bgr` reproduces HRNet's `COLOR_RGB: false` checkpoints.
        public var colorOrder = ColorOrder.rgb
        /// Loader threads.
        public var workers = 2
        public init() {}
    }

    /// `optimizer:` torch.optim semantics (`Optim.Adam` / `Optim.SGD`).
    public struct OptimizerSection: Sendable, Equatable, Codable {
        public var type = OptimizerKind.adam
        /// Base learning rate (before warmup and decay).
        public var lr = 5e-4
        /// Adam `(β1, β2)`.
        public var betas = [0.9, 0.999]
        /// Adam epsilon.
        public var eps = 1e-8
        /// L2 penalty added to the gradient (torch `weight_decay`; Adam's is not AdamW's).
        public var weightDecay = 0.0
        /// SGD momentum.
        public var momentum = 0.9
        /// SGD Nesterov momentum.
        public var nesterov = false
        public init() {}
    }

    /// `schedule:` epochs, linear warmup by iteration, step decay by epoch (`Optim.WarmupMultiStepLR`).
    public struct ScheduleSection: Sendable, Equatable, Codable {
        public var epochs = 210
        /// Warmup iterations (mmengine `LinearLR.end`); 0 disables warmup.
        public var warmupIters = 500
        /// Warmup start factor (mmengine `LinearLR.start_factor`).
        public var warmupFactor = 0.001
        /// Epochs at whose start the learning rate is multiplied by `gamma`.
        public var milestones = [170, 200]
        public var gamma = 0.1
        public init() {}
    }

    /// `train:` the loop: batch, loss, seed, logging and checkpoint cadence.
    public struct TrainSection: Sendable, Equatable, Codable {
        /// Images per optimizer step (the reference's total batch over all GPUs).
        public var batchSize = 512
        /// Forward/backward passes per optimizer step; each pass sees `batch_size / accumulation_steps`
        /// images, the per-GPU batch of the reference (and the BatchNorm batch).
        public var accumulationSteps = 8
        public var loss = LossForm.mmpose
        public var seed = 0
        /// Iterations between log lines / JSONL records.
        public var logInterval = 50
        /// Epochs between numbered checkpoints (`latest` is written every epoch).
        public var checkpointInterval = 10
        /// Convolution arithmetic: fp32, or bf16 autocast (bf16 operands, fp32 accumulation, fp32 master weights,
        /// batch norm, loss and optimizer in fp32; `withAutocast`).
        public var precision = Precision.fp32
        /// fp32 3×3 stride-1 convolutions of the backbone's stages as Winograd F(4×4, 3×3) where the CPU has
        /// AVX-512 (`withWinograd`); false: direct convolution, as PyTorch.
        public var winograd = true
        /// Recompute batch-norm, ReLU and residual-add outputs in backward instead of keeping them from forward
        /// (`withRecomputation`, mmpose's `with_cp` for the cheap ops): less memory, the same gradients.
        public var recompute = false
        public init() {}
    }

    /// `eval:` validation during training and `swiftpose eval` defaults.
    public struct EvalSection: Sendable, Equatable, Codable {
        /// Average the heatmaps of the image and its mirror (shifted by one pixel, as SimpleBaseline).
        public var flipTest = true
        public var boxes = BoxSource.gt
        /// Detection results (COCO format), relative to `data.root` unless absolute; read when `boxes: file`.
        public var boxFile = "person_detection_results/COCO_val2017_detections_AP_H_56_person.json"
        /// Epochs between validations.
        public var interval = 10
        /// Images per evaluation forward pass.
        public var batchSize = 32
        public init() {}
    }
}

/// A `[w, h]` pair in YAML (`input_size: [192, 256]`): the data pipeline's `GridSize`.
public typealias ConfigSize = GridSize

extension GridSize: Codable {
    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        self.init(width: try c.decode(Int.self), height: try c.decode(Int.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(width)
        try c.encode(height)
    }
}

/// `model.width`: DESIGN §3 `paper` (deconvs keep their growing input width) or `fixed` (256 everywhere).
public enum Width: String, Sendable, Codable, CaseIterable { case paper, fixed }
/// `model.upsample`: how coarse predictions are resized to the finest scale.
public enum Upsample: String, Sendable, Codable, CaseIterable { case bilinear, nearest }
/// `data.augmentation`: SimpleBaseline/HRNet `JointsDataset` or mmpose 1.x transforms.
public enum AugmentationKind: String, Sendable, Codable, CaseIterable { case simplebaseline, mmpose, none }
/// `data.color_order`: channel order fed to the network.
/// `optimizer.type`.
public enum OptimizerKind: String, Sendable, Codable, CaseIterable { case adam, sgd }
/// `train.loss`: SimpleBaseline's `JointsMSELoss` (0.5 × MSE per joint, averaged) or mmpose 1.x
/// `KeypointMSELoss(use_target_weight=True)`.
public enum LossForm: String, Sendable, Codable, CaseIterable { case simplebaseline, mmpose }
/// `eval.boxes`: ground-truth person boxes or a detection results file.
public enum BoxSource: String, Sendable, Codable, CaseIterable { case gt, file }
