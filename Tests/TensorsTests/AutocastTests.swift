import Testing
@testable import Tensors

/// `x` rounded to the nearest bf16 value (ties to even), as oneDNN's f32 → bf16 conversion rounds.
func bf16Rounded(_ x: Float) -> Float {
    let bits = x.bitPattern
    let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000
    return Float(bitPattern: rounded)
}

func bf16Rounded(_ t: Tensor) -> Tensor {
    Tensor(shape: t.shape, values: t.toArray().map(bf16Rounded))
}

/// Under `withAutocast(.bf16)` a convolution reads bf16 copies of its input, weight and output gradient and
/// accumulates in fp32: its output and all gradients must equal the fp32 op run on those bf16-rounded values
/// (up to the fp32 summation order), and differ from the fp32 op on the unrounded values (bf16 really ran).
@Suite("Autocast (bf16 convolutions)")
struct AutocastTests {
    struct Case: CustomStringConvertible, Sendable {
        let input: [Int], weight: [Int], stride: Int, padding: Int, bias: Bool, inputGrad: Bool
        var description: String { "x\(input) w\(weight) s\(stride) p\(padding) bias \(bias) dx \(inputGrad)" }
    }

    static let convCases = [
        Case(input: [2, 32, 9, 7], weight: [48, 32, 3, 3], stride: 1, padding: 1, bias: true, inputGrad: true),
        Case(input: [2, 64, 8, 6], weight: [32, 64, 1, 1], stride: 2, padding: 0, bias: false, inputGrad: true),
        Case(input: [1, 3, 20, 16], weight: [16, 3, 7, 7], stride: 2, padding: 3, bias: false, inputGrad: false),
    ]

    /// Output, then the gradients of x (if it requires grad), w and the bias (if any), of `op` on fresh copies.
    func run(_ inputs: [Tensor], upstream: Tensor, inputGrad: Bool, precision: Precision,
             _ op: ([Tensor]) -> Tensor) -> [[Float]] {
        let leaves = inputs.map { $0.copy() }
        for (k, leaf) in leaves.enumerated() { leaf.requiresGrad = k > 0 || inputGrad }
        let y = withAutocast(precision) { op(leaves) }
        backward(y, gradient: upstream)
        return [y.toArray()] + leaves.compactMap { $0.grad?.toArray() }
    }

    @Test("conv2d in bf16 equals fp32 on bf16-rounded operands, gradients included", arguments: convCases)
    func conv(_ c: Case) throws {
        guard bf16ConvolutionImplementation() != nil else {
            print("skipped autocast bf16 conv: no native bf16 convolutions on this CPU")
            return
        }
        var random = TestRandom(seed: 11)
        var inputs = [random.tensor(c.input), random.tensor(c.weight)]
        if c.bias { inputs.append(random.tensor([c.weight[0]])) }
        let op: ([Tensor]) -> Tensor = { t in
            conv2d(t[0], t[1], bias: t.count > 2 ? t[2] : nil, stride: c.stride, padding: c.padding)
        }
        let outputShape = Tape.withoutGrad { op(inputs) }.shape
        let upstream = random.tensor(outputShape)
        let bf16 = run(inputs, upstream: upstream, inputGrad: c.inputGrad, precision: .bf16, op)
        // The bias is added in fp32: only x and w are rounded.
        let rounded = [bf16Rounded(inputs[0]), bf16Rounded(inputs[1])] + inputs.dropFirst(2)
        let reference = run(rounded, upstream: bf16Rounded(upstream), inputGrad: c.inputGrad, precision: .fp32, op)
        let plain = run(inputs, upstream: upstream, inputGrad: c.inputGrad, precision: .fp32, op)
        #expect(bf16.count == reference.count)
        for (k, (a, b)) in zip(bf16, reference).enumerated() {
            #expect(relativeError(a, b) < 1e-5, "output, dx?, dw, db?: entry \(k)")
        }
        #expect(relativeError(bf16[0], plain[0]) > 1e-5, "bf16 output equals fp32: bf16 did not run")
        #expect(relativeError(bf16[0], plain[0]) < 2e-2)
    }

    @Test("sub-pixel convTranspose2d in bf16 equals fp32 on bf16-rounded operands, gradients included")
    func deconv() throws {
        guard bf16ConvolutionImplementation() != nil else {
            print("skipped autocast bf16 deconv: no native bf16 convolutions on this CPU")
            return
        }
        var random = TestRandom(seed: 12)
        let inputs = [random.tensor([2, 32, 5, 4]), random.tensor([32, 24, 4, 4])]
        let op: ([Tensor]) -> Tensor = { t in convTranspose2d(t[0], t[1], stride: 2, padding: 1) }
        let upstream = random.tensor([2, 24, 10, 8])
        let bf16 = run(inputs, upstream: upstream, inputGrad: true, precision: .bf16, op)
        let reference = run(inputs.map(bf16Rounded), upstream: bf16Rounded(upstream), inputGrad: true,
                            precision: .fp32, op)
        let plain = run(inputs, upstream: upstream, inputGrad: true, precision: .fp32, op)
        for (k, (a, b)) in zip(bf16, reference).enumerated() {
            #expect(relativeError(a, b) < 1e-5, "output, dx, dw: entry \(k)")
        }
        #expect(relativeError(bf16[0], plain[0]) > 1e-5, "bf16 output equals fp32: bf16 did not run")
    }

    @Test("the deconvolution block in bf16 equals the composed ops in bf16, gradients included")
    func deconvBlock() throws {
        guard bf16ConvolutionImplementation() != nil else {
            print("skipped autocast bf16 deconv block: no native bf16 convolutions on this CPU")
            return
        }
        var random = TestRandom(seed: 13)
        let inputs = [random.tensor([2, 32, 5, 4]), random.tensor([32, 24, 4, 4]),
                      random.tensor([24], 0.5, 1.5), random.tensor([24])]
        func op(fused: Bool) -> ([Tensor]) -> Tensor {
            { t in
                let (mean, variance) = (Tensor(zeros: [24]), Tensor(repeating: 1, shape: [24]))
                return fused
                    ? convTranspose2dBatchNorm2d(t[0], t[1], stride: 2, padding: 1, normWeight: t[2], normBias: t[3],
                                                 runningMean: mean, runningVar: variance, training: true, fuseReLU: true)
                    : batchNorm2d(convTranspose2d(t[0], t[1], stride: 2, padding: 1), weight: t[2], bias: t[3],
                                  runningMean: mean, runningVar: variance, training: true, fuseReLU: true)
            }
        }
        let upstream = random.tensor([2, 24, 10, 8])
        let fused = run(inputs, upstream: upstream, inputGrad: true, precision: .bf16, op(fused: true))
        let composed = run(inputs, upstream: upstream, inputGrad: true, precision: .bf16, op(fused: false))
        let plain = run(inputs, upstream: upstream, inputGrad: true, precision: .fp32, op(fused: true))
        // The batch norm's padded and unpadded runs differ in the last fp32 bits, which can flip the bf16
        // rounding of a few output-gradient elements: 1e-3 leaves room for that, not for a missed rounding.
        for (k, (a, b)) in zip(fused, composed).enumerated() {
            #expect(relativeError(a, b) < 1e-3, "output, dx, dw, dγ, dβ: entry \(k)")
        }
        #expect(relativeError(fused[0], plain[0]) > 1e-5, "bf16 output equals fp32: bf16 did not run")
    }

    @Test("relu under bf16 autocast takes its backward mask from the bf16 copy: same gradient as fp32")
    func reluMask() {
        var random = TestRandom(seed: 14)
        let x = random.tensor([2, 16, 5, 4]).withLayout(.channelsLast), upstream = random.tensor([2, 16, 5, 4])
        let grads = [Precision.fp32, .bf16].map { precision -> [Float] in
            let leaf = x.copy()
            leaf.requiresGrad = true
            let y = withAutocast(precision) { relu(leaf) }
            backward(y, gradient: upstream)
            return leaf.grad!.toArray()
        }
        #expect(grads[0] == grads[1])
        #expect(grads[0].contains(0) && grads[0].contains { $0 != 0 })
    }

    @Test("batchNorm2d under bf16 autocast: backward reads the bf16-rounded input, statistics stay fp32")
    func batchNormSavedInput() {
        var random = TestRandom(seed: 15)
        let x = random.tensor([2, 32, 5, 4]).withLayout(.channelsLast), upstream = random.tensor([2, 32, 5, 4])
        let gamma = random.tensor([32], 0.5, 1.5), beta = random.tensor([32])
        func run(_ precision: Precision) -> [[Float]] {
            let inputs = [x.copy(), gamma.copy(), beta.copy()]
            for t in inputs { t.requiresGrad = true }
            let y = withAutocast(precision) {
                batchNorm2d(inputs[0], weight: inputs[1], bias: inputs[2], runningMean: Tensor(zeros: [32]),
                            runningVar: Tensor(repeating: 1, shape: [32]), training: true)
            }
            backward(y, gradient: upstream)
            return [y.toArray()] + inputs.map { $0.grad!.toArray() }
        }
        let bf16 = run(.bf16), fp32 = run(.fp32)
        let (_, statistics, _) = batchNorm2dForwardTraining(x, gamma, beta, eps: 1e-5, fuseReLU: false)
        let reference = batchNorm2dBackward(upstream, bf16Rounded(x).withLayout(.channelsLast), gamma, beta,
                                            mean: statistics.mean, variance: statistics.variance,
                                            globalStatistics: false, eps: 1e-5, workspace: nil).map { $0!.toArray() }
        #expect(bf16[0] == fp32[0], "the forward is fp32")
        for (k, (a, b)) in zip(bf16.dropFirst(), reference).enumerated() {
            #expect(relativeError(a, b) < 1e-5, "dx, dγ, dβ: entry \(k)")
        }
        #expect(bf16[1] != fp32[1], "dx equals fp32's: the backward did not read the bf16 copy")
    }

    @Test("withAutocast nests and restores the previous precision")
    func scope() {
        #expect(Tape.autocast == .fp32)
        withAutocast(.bf16) {
            #expect(Tape.autocast == .bf16)
            withAutocast(.fp32) { #expect(Tape.autocast == .fp32) }
            #expect(Tape.autocast == .bf16)
        }
        #expect(Tape.autocast == .fp32)
    }
}
