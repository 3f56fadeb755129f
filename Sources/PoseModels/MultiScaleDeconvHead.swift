// The multi-scale deconvolution head (Kang & Cho), wired as DESIGN.md §3:
// scales s = 0 (backbone feature, ×1), 1, 2, 3 (after each deconv block, ×2, ×4, ×8); a 1×1 conv predicts
// K heatmaps at each of the last R scales (`final_layers.k`, k = 0 coarsest). After a scale with a
// prediction, the next deconv reads cat([feature, heatmaps]) (feature channels first). `paper` width:
// deconv 1 outputs 256 channels and each later deconv keeps its input width; `fixed`: every deconv
// outputs 256. Predictions are upsampled by 2^(3−s) (parameter-free) to the ×8 scale and averaged.
import NN
import Tensors

/// How wide the multi-scale head's later deconvolutions are.
public enum HeadWidth: String, Sendable, CaseIterable {
    /// Each later deconv keeps its (growing) input width: reproduces the paper's parameter counts.
    case paper
    /// Every deconv outputs 256 channels.
    case fixed
}

/// The multi-scale deconvolution head over the last `scales` (2…4) of the four scales.
public final class MultiScaleDeconvHead: Module {
    public let scales: Int
    public let upsampleMode: UpsampleMode
    let deconvLayers: DeconvLayers
    let finalLayers: ModuleList
    let heads: [Conv2d]
    /// hasHead[s] for s = 0 (backbone), 1, 2, 3 (deconv blocks).
    let hasHead: [Bool]

    public init(inChannels: Int, scales: Int, width: HeadWidth, upsample: UpsampleMode, joints: Int = 17,
                channels: Int = 256) {
        precondition((2...4).contains(scales), "MultiScaleDeconvHead: scales \(scales) not in 2…4")
        self.scales = scales
        upsampleMode = upsample
        hasHead = (0..<4).map { $0 >= 4 - scales }
        var heads: [Conv2d] = []
        var blocks: [DeconvBlock] = []
        var current = inChannels
        if hasHead[0] {
            heads.append(Conv2d(current, joints, kernelSize: 1))
            current += joints
        }
        for s in 1...3 {
            let out = (s == 1 || width == .fixed) ? channels : current
            blocks.append(DeconvBlock(current, out))
            current = out
            if hasHead[s] {
                heads.append(Conv2d(current, joints, kernelSize: 1))
                if s < 3 { current += joints }
            }
        }
        deconvLayers = DeconvLayers(blocks)
        self.heads = heads
        finalLayers = ModuleList(heads)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        forward(x, block: { deconvLayers.blocks[$0]($1) }, head: { heads[$0]($1) },
                concat: { concatChannels([$0, $1]) })
    }

    /// The head's wiring over any feature representation (the module's tensors, or the fused inference
    /// path's activations): `block(i, f)` runs deconv block i, `head(k, f)` prediction k, `concat(f, p)`
    /// appends a prediction's channels to the feature. Upsampling and averaging are the tensor ops.
    func forward<Feature>(_ x: Feature, block: (Int, Feature) -> Feature, head: (Int, Feature) -> Tensor,
                          concat: (Feature, Tensor) -> Feature) -> Tensor {
        var predictions: [Tensor] = []
        var feature = x
        if hasHead[0] {
            predictions.append(head(0, feature))
            feature = concat(feature, predictions[predictions.count - 1])
        }
        for s in 1...3 {
            feature = block(s - 1, feature)
            if hasHead[s] {
                predictions.append(head(predictions.count, feature))
                if s < 3 { feature = concat(feature, predictions[predictions.count - 1]) }
            }
        }
        let resized = predictions.enumerated().map { k, p in
            upsample(p, factor: 1 << (predictions.count - 1 - k), mode: upsampleMode)
        }
        return mean(resized)
    }

    public override func visitState(_ visitor: StateVisitor) {
        visitor.visit("deconv_layers", deconvLayers)
        visitor.visit("final_layers", finalLayers)
    }
}
