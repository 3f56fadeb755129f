// The deconvolution stack shared by both heads: blocks of ConvTranspose2d(4, 2, 1, no bias) → BN → ReLU,
// saved as PyTorch's `deconv_layers` Sequential (deconv at index 3i, BN at 3i + 1, ReLU at 3i + 2).
import NN
import Tensors

/// One upsampling block: doubles H and W.
final class DeconvBlock: Module {
    let deconv: ConvTranspose2d
    let bn: BatchNorm2d

    init(_ inChannels: Int, _ outChannels: Int) {
        deconv = ConvTranspose2d(inChannels, outChannels, kernelSize: 4, stride: 2, padding: 1, bias: false)
        bn = BatchNorm2d(outChannels)
    }

    func callAsFunction(_ x: Tensor) -> Tensor { bn(x, after: deconv, relu: true) }
}

/// The `deconv_layers` Sequential of blocks.
final class DeconvLayers: Module {
    let blocks: [DeconvBlock]

    init(_ blocks: [DeconvBlock]) { self.blocks = blocks }

    override func visitState(_ visitor: StateVisitor) {
        for (i, block) in blocks.enumerated() {
            visitor.visit(String(3 * i), block.deconv)
            visitor.visit(String(3 * i + 1), block.bn)
        }
    }
}

/// A ModuleList of 1×1 heads (`final_layers.k`).
final class ModuleList: Module {
    let items: [Module]

    init(_ items: [Module]) { self.items = items }

    override func visitState(_ visitor: StateVisitor) {
        for (i, item) in items.enumerated() { visitor.visit(String(i), item) }
    }
}
