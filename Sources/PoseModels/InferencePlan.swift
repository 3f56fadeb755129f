// The inference-only execution of a PoseNet in eval mode (issue 7):
// - every Conv → BatchNorm(eval) pair is one convolution with folded weight and bias (`foldBatchNorm`),
//   with the following ReLU as an eltwise post-op;
// - each residual block's add + ReLU is a `sum` post-op (then ReLU) on the block's last convolution, which
//   accumulates into the shortcut's memory (the downsample's output, or the block input, read by nobody after);
// - the head's deconvolutions are sub-pixel convolutions with their BatchNorm folded and ReLU fused;
// - the 1×1 prediction convolutions write fp32; the multi-scale head's concatenation, parameter-free upsampling
//   and averaging are the ordinary tensor ops, wired by `MultiScaleDeconvHead.forward`.
// Activations are fp32 or bf16 (bf16 weights too; fp32 accumulation, bias and heatmaps); in fp32 the residual
// blocks run on blocked activations, their 3×3 convolutions as Winograd, as the training forward does.
import NN
import Tensors

/// A PoseNet compiled for inference: image `[N, 3, H, W]` → heatmaps `[N, K, H/4, W/4]` (fp32), equal to the
/// model's eval-mode forward up to rounding (fp32) or bf16 precision.
///
/// The plan is a snapshot, built explicitly by the caller from the model's parameters and running
/// statistics at that moment; later changes to the model do not reach it. `isCurrent` tells whether any of
/// them changed since (then build a new plan). Training never uses it.
public final class InferencePlan {
    public let precision: Precision
    let stem: FoldedConv
    let blocks: [FusedResidualBlock]
    /// The head's deconvolution blocks: folded weight `[C_in, C_out, 4, 4]` and bias `[C_out]`.
    let deconvs: [(weight: Tensor, bias: Tensor)]
    /// `final_layer` (one) or `final_layers.k` (coarse to fine), copied.
    let predictions: [FoldedConv]
    /// The multi-scale head whose wiring the plan follows (nil for SimpleBaseline).
    let multiScale: MultiScaleDeconvHead?
    /// The residual blocks' activation layout: the backbone's `activationLayout` in fp32 (blocked: 3×3
    /// convolutions as Winograd), channelsLast in bf16.
    let blockLayout: Layout
    private let sources: [(tensor: Tensor, version: Int)]

    /// Folds `model`'s current parameters and running statistics (eval-mode semantics whatever its mode).
    public init(_ model: PoseNet, precision: Precision = .fp32) {
        self.precision = precision
        let backbone = model.backbone
        stem = folded(backbone.conv1, backbone.bn1)
        blocks = [backbone.layer1, backbone.layer2, backbone.layer3, backbone.layer4].flatMap(\.blocks).map {
            FusedResidualBlock(body: $0.body.map { folded($0.conv, $0.bn) },
                               downsample: $0.downsample.map { folded($0.conv, $0.bn) })
        }
        let head: (layers: DeconvLayers, convs: [Conv2d]) = model.simpleHead.map { ($0.deconvLayers, [$0.finalLayer]) }
            ?? (model.multiScaleHead!.deconvLayers, model.multiScaleHead!.heads)
        deconvs = head.layers.blocks.map { block in
            let (weight, bias) = foldBatchNorm(
                weight: block.deconv.weight, bias: block.deconv.bias, outputAxis: 1, gamma: block.bn.weight,
                beta: block.bn.bias, runningMean: block.bn.runningMean, runningVar: block.bn.runningVar, eps: block.bn.eps)
            return (weight, bias)
        }
        predictions = head.convs.map {
            FoldedConv(weight: $0.weight.copy(), bias: $0.bias!.copy(), stride: $0.stride, padding: $0.padding)
        }
        multiScale = model.multiScaleHead
        blockLayout = precision == .fp32 ? backbone.activationLayout : .channelsLast
        sources = model.namedState().compactMap { entry in
            switch entry.value {
            case .parameter(let t), .buffer(let t): return (t, t.version)
            case .counter: return nil
            }
        }
    }

    /// Whether no parameter or running statistic of the model changed since the plan was built.
    public var isCurrent: Bool { sources.allSatisfy { $0.tensor.version == $0.version } }

    /// Heatmaps `[N, K, H/4, W/4]` (fp32) for a batch of normalised images. Records nothing on the tape.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == 3 && x.shape[2] % 32 == 0 && x.shape[3] % 32 == 0,
                     "InferencePlan: input \(x.shape) must be [N, 3, H, W] with H and W divisible by 32")
        return Tape.withoutGrad {
            let stemOutput = fusedConv2d(Activation(x, precision: precision), stem, relu: true)
            var feature = maxPool2d(stemOutput, kernelSize: 3, stride: 2, padding: 1).withLayout(blockLayout)
            for block in blocks { feature = block(feature) }
            return head(feature.withLayout(.channelsLast))
        }
    }

    private func deconv(_ i: Int, _ x: Activation) -> Activation {
        fusedConvTranspose2d(x, weight: deconvs[i].weight, bias: deconvs[i].bias, relu: true)
    }

    private func predict(_ k: Int, _ x: Activation) -> Tensor {
        fusedConv2d(x, predictions[k], relu: false, output: .fp32).tensor()
    }

    private func head(_ feature: Activation) -> Tensor {
        guard let multiScale else {
            return predict(0, deconvs.indices.reduce(feature) { deconv($1, $0) })
        }
        return multiScale.forward(feature, block: deconv, head: predict) { feature, prediction in
            Activation(concatChannels([feature.tensor(), prediction]), precision: precision)
        }
    }
}

/// A residual block of the plan: `relu(body(x) + shortcut(x))` with the add and ReLU fused into the last
/// body convolution.
struct FusedResidualBlock {
    let body: [FoldedConv]
    let downsample: FoldedConv?

    func callAsFunction(_ x: Activation) -> Activation {
        let shortcut = downsample.map { fusedConv2d(x, $0, relu: false) } ?? x
        let out = body.dropLast().reduce(x) { fusedConv2d($0, $1, relu: true) }
        return fusedConv2d(out, body[body.count - 1], relu: true, residual: shortcut)
    }
}

/// A Conv2d followed by an eval-mode BatchNorm2d as one convolution.
private func folded(_ conv: Conv2d, _ bn: BatchNorm2d) -> FoldedConv {
    let (weight, bias) = foldBatchNorm(weight: conv.weight, bias: conv.bias, outputAxis: 0, gamma: bn.weight,
                                       beta: bn.bias, runningMean: bn.runningMean, runningVar: bn.runningVar, eps: bn.eps)
    return FoldedConv(weight: weight, bias: bias, stride: conv.stride, padding: conv.padding)
}
