// A top-down pose network: ResNet backbone + SimpleBaseline or multi-scale head.
// image [N, 3, H, W] (H, W divisible by 32) → heatmaps [N, K, H/4, W/4].
import NN
import Tensors

/// Options shared by every model name.
public struct ModelOptions: Sendable, Equatable {
    public var width: HeadWidth
    public var upsample: UpsampleMode
    public var joints: Int
    /// ResNet's base width (64) and the deconvolutions' channels (256): smaller only for small test fixtures.
    public var baseWidth: Int
    public var headChannels: Int

    public init(width: HeadWidth = .paper, upsample: UpsampleMode = .bilinear, joints: Int = 17,
                baseWidth: Int = 64, headChannels: Int = 256) {
        self.width = width
        self.upsample = upsample
        self.joints = joints
        self.baseWidth = baseWidth
        self.headChannels = headChannels
    }
}

/// The pose network; its state dict has the PyTorch names of DESIGN.md §3.
public final class PoseNet: Module {
    public let name: ModelName
    public let options: ModelOptions
    public let backbone: ResNet
    let simpleHead: DeconvHead?
    let multiScaleHead: MultiScaleDeconvHead?

    public init(name: ModelName, options: ModelOptions = ModelOptions()) {
        self.name = name
        self.options = options
        backbone = ResNet(depth: name.depth, baseWidth: options.baseWidth)
        if name.scales == 1 {
            simpleHead = DeconvHead(inChannels: backbone.outChannels, joints: options.joints,
                                    channels: options.headChannels)
            multiScaleHead = nil
        } else {
            simpleHead = nil
            multiScaleHead = MultiScaleDeconvHead(inChannels: backbone.outChannels, scales: name.scales,
                                                  width: options.width, upsample: options.upsample,
                                                  joints: options.joints, channels: options.headChannels)
        }
    }

    /// Heatmaps for a batch of normalised images.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == 3 && x.shape[2] % 32 == 0 && x.shape[3] % 32 == 0,
                     "PoseNet: input \(x.shape) must be [N, 3, H, W] with H and W divisible by 32")
        let feature = backbone(x)
        if let simpleHead { return simpleHead(feature) }
        return multiScaleHead!(feature)
    }

    /// The backbone's keys are top level (`conv1.*`, `layer1.*`), as in SimpleBaseline's PoseResNet.
    public override func visitState(_ visitor: StateVisitor) {
        visitor.visitInline(backbone)
        visitor.visitInline(simpleHead)
        visitor.visitInline(multiScaleHead)
    }
}
