// torch.nn.Conv2d (square kernel, groups 1): weight [out, in, k, k], optional bias [out].
import Tensors

/// A 2-D convolution layer; weights start at zero until an init scheme or a state dict fills them.
public final class Conv2d: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true) {
        weight = Tensor(zeros: [outChannels, inChannels, kernelSize, kernelSize])
        self.bias = bias ? Tensor(zeros: [outChannels]) : nil
        self.stride = stride
        self.padding = padding
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv2d(x, weight, bias: bias, stride: stride, padding: padding)
    }

    public override func visitState(_ visitor: StateVisitor) {
        visitor.visit("weight", .parameter(weight))
        if let bias { visitor.visit("bias", .parameter(bias)) }
    }
}
