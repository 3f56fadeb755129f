import Testing
@testable import Tensors

/// `addReLU` (oneDNN's binary add with a ReLU post-op for large tensors, a loop for small ones) against the
/// composed `relu(add(a, b))`, whose add and ReLU the PyTorch fixtures check.
@Suite("addReLU")
struct AddReLUTests {
    /// [2, 64, 32, 24] has 98304 elements (the oneDNN path), [2, 3, 4, 5] takes the loop.
    static let cases: [(shape: [Int], mixedLayouts: Bool)] = [
        ([2, 64, 32, 24], false), ([2, 64, 32, 24], true), ([2, 3, 4, 5], false), ([2, 3, 4, 5], true),
    ]

    @Test("addReLU equals relu(add(a, b)), gradients included, in fp32 and under bf16 autocast",
          arguments: 0..<cases.count)
    func matchesComposed(_ index: Int) {
        let (shape, mixed) = Self.cases[index]
        var random = TestRandom(seed: 21)
        let a = random.tensor(shape).withLayout(.channelsLast)
        let b = mixed ? random.tensor(shape) : random.tensor(shape).withLayout(.channelsLast)
        let upstream = random.tensor(shape)
        for precision in [Precision.fp32, .bf16] {
            func run(fused: Bool) -> [[Float]] {
                let (x, y) = (a.copy(), b.copy())
                x.requiresGrad = true
                y.requiresGrad = true
                let out = withAutocast(precision) { fused ? addReLU(x, y) : relu(add(x, y)) }
                backward(out, gradient: upstream)
                return [out.toArray(), x.grad!.toArray(), y.grad!.toArray()]
            }
            let fused = run(fused: true), composed = run(fused: false)
            #expect(fused == composed, "\(shape) mixed layouts \(mixed) \(precision)")
            #expect(fused[0].contains(0) && fused[1].contains { $0 != 0 })
        }
    }

    @Test("gradient accumulation of large tensors (oneDNN add) equals the loop's sum")
    func accumulation() {
        var random = TestRandom(seed: 22)
        let x = random.tensor([2, 64, 32, 24]).withLayout(.channelsLast)
        x.requiresGrad = true
        // x feeds two ops; backward sums their gradients (2·g and 3·g).
        let upstream = random.tensor([2, 64, 32, 24])
        backward(add(scale(x, by: 2), scale(x, by: 3)), gradient: upstream)
        let expected = upstream.toArray().map { 2 * $0 + 3 * $0 }
        #expect(relativeError(x.grad!.toArray(), expected) < 1e-6)
    }

    @Test("a ReLU output used two and three times: the summed gradient is masked in one pass, as sum then mask",
          arguments: [Layout.channelsLast, .blocked], [Precision.fp32, .bf16])
    func severalUses(layout: Layout, precision: Precision) {
        guard layout.isAvailable || layout != .blocked, precision.isAvailable else { return }
        var random = TestRandom(seed: 24)
        let shape = [4, 64, 32, 24]  // over forEachChunk's threshold: chunks on both cores
        let a = random.tensor(shape).withLayout(layout), b = random.tensor(shape).withLayout(layout)
        let upstream = random.tensor(shape), u = upstream.toArray()
        for factors in [[2, 3], [2, 3, 5]] as [[Float]] {
            let (x, y) = (a.copy(), b.copy())
            x.requiresGrad = true
            y.requiresGrad = true
            let out = withAutocast(precision) { () -> Tensor in
                let r = addReLU(x, y)
                return factors.dropFirst().reduce(scale(r, by: factors[0])) { add($0, scale(r, by: $1)) }
            }
            let positive = zip(a.toArray(), b.toArray()).map { $0 + $1 > 0 }
            backward(out, gradient: upstream)
            let expected = u.indices.map { i in
                positive[i] ? factors.dropFirst().reduce(u[i] * factors[0]) { $0 + u[i] * $1 } : 0
            }
            #expect(relativeError(x.grad!.toArray(), expected) < 1e-6, "\(factors) \(layout) \(precision)")
            #expect(x.grad!.toArray() == y.grad!.toArray())
        }
    }
}
