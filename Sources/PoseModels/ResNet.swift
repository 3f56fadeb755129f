// ResNet backbones with torchvision's structure and names, without the classifier (avgpool, fc):
// image [N, 3, H, W] → feature [N, 512·expansion, H/32, W/32].
import NN
import Tensors

/// A residual block: `relu(body(x) + shortcut(x))` (`addReLU`).
protocol ResidualBlock: Module {
    func callAsFunction(_ x: Tensor) -> Tensor
    /// The body's Conv → BN pairs in order (ReLU after each but the last, which the residual add follows).
    var body: [(conv: Conv2d, bn: BatchNorm2d)] { get }
    var downsample: Downsample? { get }
}

/// The 1×1 projection shortcut (`downsample.0` conv, `downsample.1` BN) of a block that changes shape.
final class Downsample: Module {
    let conv: Conv2d
    let bn: BatchNorm2d

    init(_ inChannels: Int, _ outChannels: Int, stride: Int) {
        conv = Conv2d(inChannels, outChannels, kernelSize: 1, stride: stride, bias: false)
        bn = BatchNorm2d(outChannels)
    }

    func callAsFunction(_ x: Tensor) -> Tensor { bn(conv(x)) }

    override func visitState(_ visitor: StateVisitor) {
        visitor.visit("0", conv)
        visitor.visit("1", bn)
    }
}

/// ResNet-18/34 block: two 3×3 convolutions (expansion 1).
final class BasicBlock: Module, ResidualBlock {
    static let expansion = 1
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    let downsample: Downsample?

    init(_ inChannels: Int, _ planes: Int, stride: Int, downsample: Downsample?) {
        conv1 = Conv2d(inChannels, planes, kernelSize: 3, stride: stride, padding: 1, bias: false)
        bn1 = BatchNorm2d(planes)
        conv2 = Conv2d(planes, planes, kernelSize: 3, padding: 1, bias: false)
        bn2 = BatchNorm2d(planes)
        self.downsample = downsample
    }

    var body: [(conv: Conv2d, bn: BatchNorm2d)] { [(conv1, bn1), (conv2, bn2)] }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let out = bn2(conv2(bn1(conv1(x), relu: true)))
        return addReLU(out, downsample?(x) ?? x)
    }

    override func visitState(_ visitor: StateVisitor) {
        visitor.visit("conv1", conv1)
        visitor.visit("bn1", bn1)
        visitor.visit("conv2", conv2)
        visitor.visit("bn2", bn2)
        visitor.visit("downsample", downsample)
    }
}

/// ResNet-50/101/152 block: 1×1, 3×3 (with the stride, as torchvision and SimpleBaseline), 1×1 (expansion 4).
final class Bottleneck: Module, ResidualBlock {
    static let expansion = 4
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d, conv3: Conv2d, bn3: BatchNorm2d
    let downsample: Downsample?

    init(_ inChannels: Int, _ planes: Int, stride: Int, downsample: Downsample?) {
        conv1 = Conv2d(inChannels, planes, kernelSize: 1, bias: false)
        bn1 = BatchNorm2d(planes)
        conv2 = Conv2d(planes, planes, kernelSize: 3, stride: stride, padding: 1, bias: false)
        bn2 = BatchNorm2d(planes)
        conv3 = Conv2d(planes, planes * Self.expansion, kernelSize: 1, bias: false)
        bn3 = BatchNorm2d(planes * Self.expansion)
        self.downsample = downsample
    }

    var body: [(conv: Conv2d, bn: BatchNorm2d)] { [(conv1, bn1), (conv2, bn2), (conv3, bn3)] }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let out = bn3(conv3(bn2(conv2(bn1(conv1(x), relu: true)), relu: true)))
        return addReLU(out, downsample?(x) ?? x)
    }

    override func visitState(_ visitor: StateVisitor) {
        visitor.visit("conv1", conv1)
        visitor.visit("bn1", bn1)
        visitor.visit("conv2", conv2)
        visitor.visit("bn2", bn2)
        visitor.visit("conv3", conv3)
        visitor.visit("bn3", bn3)
        visitor.visit("downsample", downsample)
    }
}

/// A stage (`layerK`): blocks named `0`, `1`, …
final class ResNetStage: Module {
    let blocks: [any ResidualBlock]

    init(_ blocks: [any ResidualBlock]) { self.blocks = blocks }

    func callAsFunction(_ x: Tensor) -> Tensor { blocks.reduce(x) { $1($0) } }

    override func visitState(_ visitor: StateVisitor) {
        for (i, block) in blocks.enumerated() { visitor.visit(String(i), block) }
    }
}

/// A torchvision ResNet without avgpool/fc: stem (`conv1`, `bn1`, ReLU, max-pool 3/2/1), `layer1…4`.
public final class ResNet: Module {
    public let depth: Int
    /// Channels of the output feature (512 for ResNet-18/34, 2048 for 50/101/152).
    public let outChannels: Int
    let conv1: Conv2d, bn1: BatchNorm2d
    let layer1: ResNetStage, layer2: ResNetStage, layer3: ResNetStage, layer4: ResNetStage
    /// The layout of layer1…4's activations in fp32: `blocked` (oneDNN's nChw16c, what its AVX-512 training
    /// kernels run fastest on) where this CPU has those kernels and the widths are multiples of 16, else
    /// `channelsLast`. Under bf16 autocast the stages run channelsLast (the NHWC bf16 operands). The output
    /// feature is channelsLast either way.
    public var activationLayout: Layout {
        didSet {
            precondition(activationLayout != .contiguous && activationLayout.holds(channels: baseWidth)
                            && activationLayout.isAvailable,
                         "ResNet.activationLayout: \(activationLayout) for base width \(baseWidth) on this CPU")
        }
    }
    /// layer1's planes (64 as torchvision).
    let baseWidth: Int

    /// Blocks per stage, as torchvision.
    static func blockCounts(depth: Int) -> [Int]? {
        switch depth {
        case 18: return [2, 2, 2, 2]
        case 34, 50: return [3, 4, 6, 3]
        case 101: return [3, 4, 23, 3]
        case 152: return [3, 8, 36, 3]
        default: return nil
        }
    }

    /// - Parameter baseWidth: the stem's channels and layer1's planes (64 as torchvision; smaller only for
    ///   small test fixtures); layer2…4 use 2×, 4×, 8×.
    public init(depth: Int, baseWidth: Int = 64) {
        guard let counts = Self.blockCounts(depth: depth) else { preconditionFailure("ResNet: depth \(depth)") }
        self.depth = depth
        let bottleneck = depth >= 50
        let expansion = bottleneck ? Bottleneck.expansion : BasicBlock.expansion
        conv1 = Conv2d(3, baseWidth, kernelSize: 7, stride: 2, padding: 3, bias: false)
        bn1 = BatchNorm2d(baseWidth)
        var inChannels = baseWidth
        func stage(_ planes: Int, _ count: Int, stride: Int) -> ResNetStage {
            var blocks: [any ResidualBlock] = []
            for i in 0..<count {
                let s = i == 0 ? stride : 1
                let downsample = (i == 0 && (s != 1 || inChannels != planes * expansion))
                    ? Downsample(inChannels, planes * expansion, stride: s) : nil
                blocks.append(bottleneck
                    ? Bottleneck(inChannels, planes, stride: s, downsample: downsample)
                    : BasicBlock(inChannels, planes, stride: s, downsample: downsample))
                inChannels = planes * expansion
            }
            return ResNetStage(blocks)
        }
        layer1 = stage(baseWidth, counts[0], stride: 1)
        layer2 = stage(2 * baseWidth, counts[1], stride: 2)
        layer3 = stage(4 * baseWidth, counts[2], stride: 2)
        layer4 = stage(8 * baseWidth, counts[3], stride: 2)
        outChannels = 8 * baseWidth * expansion
        self.baseWidth = baseWidth
        let blocked = Layout.blocked.isAvailable && Layout.blocked.holds(channels: baseWidth)
        activationLayout = blocked ? .blocked : .channelsLast
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let stem = maxPool2d(bn1(conv1(x), relu: true), kernelSize: 3, stride: 2, padding: 1)
        let layout = Tape.autocast == .fp32 ? activationLayout : .channelsLast
        return toLayout(layer4(layer3(layer2(layer1(toLayout(stem, layout))))), .channelsLast)
    }

    public override func visitState(_ visitor: StateVisitor) {
        visitor.visit("conv1", conv1)
        visitor.visit("bn1", bn1)
        visitor.visit("layer1", layer1)
        visitor.visit("layer2", layer2)
        visitor.visit("layer3", layer3)
        visitor.visit("layer4", layer4)
    }
}
