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
