import Testing
@testable import Tensors

/// Channel padding to oneDNN's 16-channel block, and the ops that run on padded copies: both paths agree.
@Suite("channel padding")
struct ChannelPaddingTests {
    @Test("pad keeps the values, zeroes the padding channels, and unpad inverts it", arguments: [false, true])
    func padRoundTrip(channelsLast: Bool) {
        var random = TestRandom(seed: 3)
        let logical = random.tensor([2, 19, 3, 5])
        let x = channelsLast ? logical.withLayout(.channelsLast) : logical
        let padding = ChannelPadding(channels: 19)
        #expect(padding.padded == 32)
        let padded = padding.pad(x)
        #expect(padded.shape == [2, 32, 3, 5] && padded.layout == .channelsLast)
        let values = padded.toArray(), reference = logical.toArray()
        for n in 0..<2 {
            for c in 0..<32 {
                for i in 0..<15 {
                    #expect(values[(n * 32 + c) * 15 + i] == (c < 19 ? reference[(n * 19 + c) * 15 + i] : 0))
                }
            }
        }
        #expect(padding.unpad(padded).toArray() == reference)
        let whole = random.tensor([1, 32, 2, 2]).withLayout(.channelsLast)
        #expect(ChannelPadding(channels: 32).pad(whole) === whole, "a multiple of 16 needs no copy")
    }

    @Test("batch_norm on NHWC with 19 channels: the padded path equals the unpadded one, gradients and running statistics included",
          arguments: [(true, false), (true, true), (false, false), (false, true)])
    func batchNormPaddedEqualsUnpadded(training: Bool, fuseReLU: Bool) {
        var random = TestRandom(seed: 5)
        let x = random.tensor([2, 19, 3, 5]).withLayout(.channelsLast)
        let gamma = random.tensor([19], 0.5, 1.5), beta = random.tensor([19])
        let mean0 = random.tensor([19]), var0 = random.tensor([19], 0.5, 2)
        let upstream = random.tensor([2, 19, 3, 5])
        func run(padChannels: Bool) -> [[Float]] {
            let inputs = [x.copy(), gamma.copy(), beta.copy()]
            for t in inputs { t.requiresGrad = true }
            let rm = mean0.copy(), rv = var0.copy()
            let y = batchNorm2d(inputs[0], weight: inputs[1], bias: inputs[2], runningMean: rm, runningVar: rv,
                                training: training, fuseReLU: fuseReLU, padChannels: padChannels)
            let output = y.toArray()
            backward(y, gradient: upstream)
            return [output, rm.toArray(), rv.toArray()] + inputs.map { $0.grad!.toArray() }
        }
        let padded = run(padChannels: true), unpadded = run(padChannels: false)
        for (k, (a, b)) in zip(padded, unpadded).enumerated() {
            #expect(relativeError(a, b) < 1e-5, "output, running mean, running var, dx, dγ, dβ: entry \(k)")
        }
    }
}

/// The deconvolution block as one op against the two ops composed (which the fixture tests pin to PyTorch).
@Suite("conv_transpose2d + batch_norm fused")
struct ConvTranspose2dBatchNorm2dTests {
    /// 5 input channels run the sub-pixel phases, 16 the strided convolution (`headDeconvolution`).
    @Test("equals batch_norm(conv_transpose2d) with 5 and 16 input and 19 and 32 output channels, train and eval, ReLU or not, gradients and running statistics included",
          arguments: [(5, 19), (5, 32), (16, 19), (16, 32)], [(true, false), (true, true), (false, false), (false, true)])
    func fusedEqualsComposed(shape: (inputs: Int, channels: Int), mode: (training: Bool, fuseReLU: Bool)) {
        let channels = shape.channels
        var random = TestRandom(seed: 11)
        let x = random.tensor([2, shape.inputs, 3, 4]).withLayout(.channelsLast)
        let w = random.tensor([shape.inputs, channels, 4, 4])
        let gamma = random.tensor([channels], 0.5, 1.5), beta = random.tensor([channels])
        let mean0 = random.tensor([channels]), var0 = random.tensor([channels], 0.5, 2)
        let upstream = random.tensor([2, channels, 6, 8])
        func run(fused: Bool) -> [[Float]] {
            let inputs = [x.copy(), w.copy(), gamma.copy(), beta.copy()]
            for t in inputs { t.requiresGrad = true }
            let rm = mean0.copy(), rv = var0.copy()
            func block() -> Tensor {
                fused
                    ? convTranspose2dBatchNorm2d(inputs[0], inputs[1], stride: 2, padding: 1, normWeight: inputs[2],
                                                 normBias: inputs[3], runningMean: rm, runningVar: rv,
                                                 training: mode.training, fuseReLU: mode.fuseReLU)
                    : batchNorm2d(convTranspose2d(inputs[0], inputs[1], stride: 2, padding: 1), weight: inputs[2],
                                  bias: inputs[3], runningMean: rm, runningVar: rv, training: mode.training,
                                  fuseReLU: mode.fuseReLU)
            }
            // Eval mode without a tape is inference, where the fused ReLU stays fused.
            let inference = mode.training ? [] : Tape.withoutGrad { block().toArray() }
            let y = block()
            let output = y.toArray()
            backward(y, gradient: upstream)
            return [inference, output, rm.toArray(), rv.toArray()] + inputs.map { $0.grad!.toArray() }
        }
        let fused = run(fused: true), composed = run(fused: false)
        for (k, (a, b)) in zip(fused, composed).enumerated() {
            #expect(relativeError(a, b) < 1e-5, "inference, output, running mean, running var, dx, dw, dγ, dβ: entry \(k)")
        }
    }
}
