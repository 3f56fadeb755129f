// SimpleBaseline's head: feature [N, C, h, w] → 3 × (deconv ×2, BN, ReLU) to 256 channels →
// 1×1 conv (`final_layer`, with bias) → heatmaps [N, K, 8h, 8w].
import NN
import Tensors

/// The SimpleBaseline deconvolution head (Xiao et al. 2018).
public final class DeconvHead: Module {
    let deconvLayers: DeconvLayers
    let finalLayer: Conv2d

    public init(inChannels: Int, joints: Int = 17, channels: Int = 256) {
        deconvLayers = DeconvLayers([
            DeconvBlock(inChannels, channels), DeconvBlock(channels, channels), DeconvBlock(channels, channels),
        ])
        finalLayer = Conv2d(channels, joints, kernelSize: 1)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        finalLayer(deconvLayers.blocks.reduce(x) { $1($0) })
    }

    public override func visitState(_ visitor: StateVisitor) {
        visitor.visit("deconv_layers", deconvLayers)
        visitor.visit("final_layer", finalLayer)
    }
}
