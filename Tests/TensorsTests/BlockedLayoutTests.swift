import Testing
@testable import Tensors

/// Blocked (nChw16c) activations and Winograd convolutions compute what the channelsLast direct ops compute:
/// outputs and all gradients, with the layouts each path promises.
@Suite("Blocked layout and Winograd convolutions")
struct BlockedLayoutTests {
    struct Case: CustomStringConvertible, Sendable {
        let input: [Int], weight: [Int], stride: Int, padding: Int
        /// Whether the blocked run is a Winograd convolution.
        let winograd: Bool
        var description: String { "x\(input) w\(weight) s\(stride) p\(padding)" }
    }

    static let cases = [
        Case(input: [2, 32, 9, 7], weight: [48, 32, 3, 3], stride: 1, padding: 1, winograd: true),
        Case(input: [2, 16, 8, 6], weight: [16, 16, 3, 3], stride: 1, padding: 1, winograd: true),
        Case(input: [2, 32, 9, 7], weight: [32, 32, 3, 3], stride: 2, padding: 1, winograd: false),
        Case(input: [2, 64, 8, 6], weight: [32, 64, 1, 1], stride: 1, padding: 0, winograd: false),
        // C_out 17 cannot be blocked: the convolution reads its blocked input as NHWC.
        Case(input: [2, 32, 6, 5], weight: [17, 32, 3, 3], stride: 1, padding: 1, winograd: false),
    ]

    /// Output (as channelsLast values) and the gradients of x and w of conv2d on fresh copies, x moved to `layout`
    /// first (on the tape); also the output's layout.
    func run(_ x: Tensor, _ w: Tensor, upstream: Tensor, _ c: Case, layout: Layout,
             winograd: Bool) -> (values: [[Float]], outputLayout: Layout) {
        let (xLeaf, wLeaf) = (x.copy(), w.copy())
        xLeaf.requiresGrad = true
        wLeaf.requiresGrad = true
        let y = withWinograd(winograd) {
            conv2d(toLayout(xLeaf, layout), wLeaf, stride: c.stride, padding: c.padding)
        }
        backward(y, gradient: upstream)
        return ([y.toArray(), xLeaf.grad!.toArray(), wLeaf.grad!.toArray()], y.layout)
    }

    @Test("conv2d on blocked activations (direct and Winograd) equals channelsLast, gradients included",
          arguments: cases)
    func conv(_ c: Case) throws {
        guard Layout.blocked.isAvailable else {
            print("skipped blocked conv2d: no AVX-512 kernels on this CPU")
            return
        }
        var random = TestRandom(seed: 31)
        let x = random.tensor(c.input), w = random.tensor(c.weight)
        let outputShape = Tape.withoutGrad { conv2d(x, w, stride: c.stride, padding: c.padding) }.shape
        let upstream = random.tensor(outputShape)
        let reference = run(x, w, upstream: upstream, c, layout: .channelsLast, winograd: true)
        let direct = run(x, w, upstream: upstream, c, layout: .blocked, winograd: false)
        let fast = run(x, w, upstream: upstream, c, layout: .blocked, winograd: true)
        #expect(reference.outputLayout == .channelsLast)
        let blockedOutput = c.weight[0] % Layout.channelBlock == 0
        #expect(direct.outputLayout == (blockedOutput ? .blocked : .channelsLast))
        #expect(fast.outputLayout == direct.outputLayout)
        for (k, (a, b)) in zip(direct.values, reference.values).enumerated() {
            #expect(relativeError(a, b) < 1e-5, "blocked direct vs channelsLast: output, dx, dw entry \(k)")
        }
        for (k, (a, b)) in zip(fast.values, reference.values).enumerated() {
            #expect(relativeError(a, b) < 1e-4, "blocked Winograd vs channelsLast: output, dx, dw entry \(k)")
        }
        // Which algorithm ran, per pass: Winograd exactly where the case says.
        let ran = PrimitiveLog.shared.implementations.filter {
            $0.key.hasPrefix("conv") && $0.key.contains("\(c.input) w\(c.weight) s\(c.stride)")
                && $0.key.contains("winograd")
        }
        if c.winograd {
            #expect(ran.count == 3, "forward, backward-data and backward-weights as Winograd: \(ran)")
            #expect(ran.values.allSatisfy { $0.contains("wino") }, "\(ran)")
        } else {
            #expect(ran.isEmpty, "no Winograd for this case: \(ran)")
        }
    }

    /// `op` on fresh copies of `inputs` (each moved to `layout` first, on the tape): output and all gradients.
    func runOp(_ inputs: [Tensor], upstream: Tensor, layout: Layout, _ op: ([Tensor]) -> Tensor) -> [[Float]] {
        let leaves = inputs.map { $0.copy() }
        for leaf in leaves { leaf.requiresGrad = true }
        let y = op(leaves.map { $0.shape.count == 4 && layout.holds(channels: $0.shape[1]) ? toLayout($0, layout) : $0 })
        backward(y, gradient: upstream)
        return [y.toArray()] + leaves.map { $0.grad!.toArray() }
    }

    @Test("ops that need NHWC (sub-pixel deconvolution, concat and its gradient split) take blocked inputs")
    func nhwcOpsTakeBlockedInputs() throws {
        guard Layout.blocked.isAvailable else {
            print("skipped blocked inputs to NHWC ops: no AVX-512 kernels on this CPU")
            return
        }
        var random = TestRandom(seed: 33)
        let x = random.tensor([2, 32, 5, 4]), w = random.tensor([32, 16, 4, 4])
        let deconvUpstream = random.tensor([2, 16, 10, 8])
        let deconv: ([Tensor]) -> Tensor = { t in convTranspose2d(t[0], t[1], stride: 2, padding: 1) }
        let deconvBlocked = runOp([x, w], upstream: deconvUpstream, layout: .blocked, deconv)
        let deconvPlain = runOp([x, w], upstream: deconvUpstream, layout: .channelsLast, deconv)
        for (k, (a, b)) in zip(deconvBlocked, deconvPlain).enumerated() {
            #expect(relativeError(a, b) < 1e-6, "convTranspose2d output, dx, dw entry \(k)")
        }
        // Blocked parts concatenated (the result is channelsLast); the sum with a blocked tensor then sends the
        // split a blocked gradient.
        let p = random.tensor([2, 16, 5, 4]), r = random.tensor([2, 48, 5, 4])
        let catUpstream = random.tensor([2, 48, 5, 4])
        let cat: ([Tensor]) -> Tensor = { t in add(toLayout(t[2], .blocked), concatChannels([t[0], t[1]])) }
        let catBlocked = runOp([x, p, r], upstream: catUpstream, layout: .blocked, cat)
        let catPlain = runOp([x, p, r], upstream: catUpstream, layout: .channelsLast, cat)
        for (k, (a, b)) in zip(catBlocked, catPlain).enumerated() {
            #expect(a == b, "concat + add output and gradients entry \(k)")
        }
    }

    @Test("toLayout keeps the values and returns the gradient in the source layout")
    func toLayoutRoundTrip() {
        var random = TestRandom(seed: 32)
        let x = random.tensor([2, 32, 5, 3]).withLayout(.channelsLast)
        x.requiresGrad = true
        let blocked = toLayout(x, .blocked)
        #expect(blocked.layout == .blocked)
        #expect(blocked.toArray() == x.toArray())
        #expect(toLayout(blocked, .blocked) === blocked)
        let upstream = random.tensor([2, 32, 5, 3])
        backward(scale(blocked, by: 2), gradient: upstream)
        #expect(x.grad!.layout == .channelsLast)
        #expect(x.grad!.toArray() == upstream.toArray().map { 2 * $0 })
    }
}
