// torch.nn.ConvTranspose2d (square kernel, groups 1, output_padding 0): weight [in, out, k, k].
import Tensors

/// A transposed 2-D convolution layer (SimpleBaseline's upsampling deconvolution).
public final class ConvTranspose2d: ConvLayer {
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true) {
        super.init(weightShape: [inChannels, outChannels, kernelSize, kernelSize], biasCount: bias ? outChannels : nil,
                   stride: stride, padding: padding)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        convTranspose2d(x, weight, bias: bias, stride: stride, padding: padding)
    }
}
