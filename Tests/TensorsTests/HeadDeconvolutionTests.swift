import Testing
@testable import Tensors

/// The two ways to compute ConvTranspose2d(4, 2, 1) on convolution primitives agree in fp32, whatever the input
/// width (the op fixtures pin each to PyTorch: 6 input channels take the phases, 16 the strided convolution;
/// AutocastTests cover `SubPixelDeconv` in bf16). The strided way's dw is the phases' by construction: compared
/// here it checks that dy's NaN padding does not reach it.
@Suite("head deconvolution")
struct HeadDeconvolutionTests {
    @Test("strided-convolution and sub-pixel deconvolutions agree: output, dx, dw; grid padding is zero forward and ignored backward, NaN included",
          arguments: [(19, nil), (19, 32), (32, nil)] as [(Int, Int?)])
    func stridedEqualsSubPixel(outputs: Int, gridChannels: Int?) {
        var random = TestRandom(seed: 23)
        let input = [2, 7, 3, 5], weight = [7, outputs, 4, 4]
        let x = random.tensor(input).withLayout(.channelsLast)
        let w = random.tensor(weight)
        let channels = gridChannels ?? outputs
        let upstream = random.tensor([2, channels, 6, 10]).withLayout(.channelsLast)
        func run(_ deconv: any HeadDeconvolution) -> (y: [Float], dx: [Float], dw: [Float]) {
            let source = deconv.operand(x)
            let y = deconv.forward(source, w, gridChannels: gridChannels)
            let dy = upstream.copy()
            fillChannels(dy, from: outputs, with: .nan)
            let grads = deconv.backward(dy, source, w, needsInputGrad: true)
            return (y.toArray(), grads[0]!.toArray(), grads[1]!.toArray())
        }
        let strided = run(StridedConvDeconv(input: input, weight: weight))
        let subPixel = run(SubPixelDeconv(input: input, weight: weight))
        #expect(relativeError(strided.y, subPixel.y) < 1e-5)
        #expect(relativeError(strided.dx, subPixel.dx) < 1e-5)
        #expect(relativeError(strided.dw, subPixel.dw) < 1e-5)
        #expect(strided.dw.count == weight.reduce(1, *) && strided.dx.allSatisfy(\.isFinite))
        let paddingValues = strided.y.enumerated().filter { ($0.offset / 60) % channels >= outputs }.map(\.element)
        #expect(paddingValues.count == 2 * 60 * (channels - outputs) && paddingValues.allSatisfy { $0 == 0 })
    }
}
