import Testing
@testable import Tensors

/// Analytic gradients against central finite differences on tiny shapes (float32, ε = 1e-2: errors
/// of ~1e-3 relative are rounding; a wrong gradient is off by O(1)).
@Suite("gradients match finite differences")
struct GradientCheckTests {
    static let tolerance: Float = 5e-3
    var random = TestRandom(seed: 42)

    mutating func expectGradients(_ shapes: [[Int]], epsilon: Float = 1e-2, _ label: String = "",
                                  _ f: @escaping ([Tensor]) -> Tensor) {
        let inputs = shapes.map { random.tensor($0) }
        for (k, error) in finiteDifferenceErrors(inputs, epsilon: epsilon, f).enumerated() {
            #expect(error < Self.tolerance, "\(label) input \(k): relative error \(error)")
        }
    }

    @Test("conv2d") mutating func conv() {
        expectGradients([[2, 3, 5, 4], [4, 3, 3, 3], [4]]) { conv2d($0[0], $0[1], bias: $0[2], stride: 2, padding: 1) }
    }

    @Test("conv_transpose2d") mutating func deconv() {
        expectGradients([[1, 3, 3, 2], [3, 2, 4, 4]]) { convTranspose2d($0[0], $0[1], stride: 2, padding: 1) }
        expectGradients([[1, 3, 3, 2], [3, 2, 4, 4]]) {
            convTranspose2d($0[0], $0[1], stride: 2, padding: 1, viaConvolutions: false)
        }
        expectGradients([[1, 2, 3, 2], [2, 3, 3, 3], [3]]) { convTranspose2d($0[0], $0[1], bias: $0[2], stride: 2, padding: 1) }
    }

    @Test("batch_norm (train mode)") mutating func batchNorm() {
        let rm = Tensor(zeros: [3]), rv = Tensor(repeating: 1, shape: [3])
        expectGradients([[3, 3, 2, 3], [3], [3]]) {
            batchNorm2d($0[0], weight: $0[1], bias: $0[2], runningMean: rm, runningVar: rv, training: true)
        }
    }

    /// Piecewise-linear ops use ε = 1e-3 so that a step rarely crosses a kink or a tie.
    @Test("batch_norm with fused ReLU (train mode)") mutating func batchNormReLU() {
        let rm = Tensor(zeros: [3]), rv = Tensor(repeating: 1, shape: [3])
        expectGradients([[3, 3, 2, 3], [3], [3]], epsilon: 1e-3) {
            batchNorm2d($0[0], weight: $0[1], bias: $0[2], runningMean: rm,
                        runningVar: rv, training: true, fuseReLU: true)
        }
    }

    @Test("relu, max_pool2d, add, cat, mean, upsample") mutating func small() {
        expectGradients([[1, 2, 3, 3]], epsilon: 1e-3, "relu") { relu($0[0]) }
        expectGradients([[1, 2, 5, 5]], epsilon: 1e-3, "max_pool2d") { maxPool2d($0[0], kernelSize: 3, stride: 2, padding: 1) }
        expectGradients([[1, 2, 2, 3], [1, 2, 2, 3]]) { add($0[0], $0[1]) }
        expectGradients([[1, 2, 2, 3], [1, 1, 2, 3]]) { concatChannels($0) }
        expectGradients([[1, 2, 2, 3], [1, 2, 2, 3]]) { mean($0) }
        expectGradients([[1, 2, 2, 3]]) { upsample($0[0], factor: 4, mode: .bilinear) }
        expectGradients([[1, 2, 2, 3]]) { upsample($0[0], factor: 2, mode: .nearest) }
    }
}
