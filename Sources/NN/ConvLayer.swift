// What Conv2d and ConvTranspose2d share: a weight, an optional bias, stride and padding, saved as
// PyTorch's `weight` and `bias`.
import Tensors

/// Base of the convolution layers; subclasses fix the weight's shape and the op.
public class ConvLayer: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: Int

    init(weightShape: [Int], biasCount: Int?, stride: Int, padding: Int) {
        weight = Tensor(zeros: weightShape)
        bias = biasCount.map { Tensor(zeros: [$0]) }
        self.stride = stride
        self.padding = padding
    }

    public override func visitState(_ visitor: StateVisitor) {
        visitor.visit("weight", .parameter(weight))
        if let bias { visitor.visit("bias", .parameter(bias)) }
    }
}
