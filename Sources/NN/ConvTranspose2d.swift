// torch.nn.ConvTranspose2d (square kernel, groups 1, output_padding 0): weight [in, out, k, k].
import Tensors

/// A transposed 2-D convolution layer (SimpleBaseline's upsampling deconvolution).
public final class ConvTranspose2d: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true) {
        weight = Tensor(zeros: [inChannels, outChannels, kernelSize, kernelSize])
        self.bias = bias ? Tensor(zeros: [outChannels]) : nil
        self.stride = stride
        self.padding = padding
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        convTranspose2d(x, weight, bias: bias, stride: stride, padding: padding)
    }

    public override func visitState(_ visitor: StateVisitor) {
        visitor.visit("weight", .parameter(weight))
        if let bias { visitor.visit("bias", .parameter(bias)) }
    }
}
