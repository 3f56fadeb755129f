// torch.nn.Conv2d (square kernel, groups 1): weight [out, in, k, k], optional bias [out].
import Tensors

/// A 2-D convolution layer; weights start at zero until an init scheme or a state dict fills them.
public final class Conv2d: ConvLayer {
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true) {
        super.init(weightShape: [outChannels, inChannels, kernelSize, kernelSize], biasCount: bias ? outChannels : nil,
                   stride: stride, padding: padding)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv2d(x, weight, bias: bias, stride: stride, padding: padding)
    }
}
