import Testing
@testable import Tensors

/// `withRecomputation`: batch-norm and residual add+ReLU outputs rebuilt in backward instead of kept.
@Suite("Recomputation")
struct RecomputationTests {
    @Test("a recipe is made once for all its reserved users and released after the last one")
    func rebuildCounting() {
        var made = 0
        let rebuild = Rebuild {
            made += 1
            return Tensor(repeating: Float(made), shape: [4])
        }
        for _ in 0..<3 { _ = rebuild.reserve() }
        let first = rebuild.take(), second = rebuild.take(), third = rebuild.take()
        #expect(made == 1 && first === second && second === third)
        _ = rebuild.reserve()
        #expect(rebuild.take() !== first && made == 2, "released after the last reserved use, so made anew")
    }

    /// A stem and two residual blocks as a ResNet's (conv → BN+ReLU → conv → BN, add the shortcut, ReLU; the first
    /// block with a projection shortcut, the second with the identity) in `layout` after the stem; `watch` sees the
    /// activations that convolutions save for backward.
    struct TwoBlocks {
        let weights: [Tensor]
        init(channels c: Int, seed: UInt64) {
            var random = TestRandom(seed: seed)
            weights = [[c, 3, 3, 3], [c, c, 3, 3], [c, c, 1, 1], [c, c, 3, 3], [c, c, 1, 1], [c, c, 3, 3]].map {
                let w = random.tensor($0, -0.3, 0.3)
                w.requiresGrad = true
                return w
            }
        }

        func bn(_ x: Tensor, relu: Bool) -> Tensor {
            let c = x.shape[1]
            let gamma = Tensor(repeating: 1.1, shape: [c]), beta = Tensor(repeating: 0.05, shape: [c])
            gamma.requiresGrad = true
            beta.requiresGrad = true
            return batchNorm2d(x, weight: gamma, bias: beta, runningMean: Tensor(zeros: [c]),
                               runningVar: Tensor(repeating: 1, shape: [c]), training: true, fuseReLU: relu)
        }

        func callAsFunction(_ x: Tensor, layout: Layout, watch: (Tensor) -> Void) -> Tensor {
            let stem = toLayout(bn(conv2d(x, weights[0], padding: 1), relu: true), layout)
            let h1 = bn(conv2d(stem, weights[1], padding: 1), relu: true)
            let y1 = addReLU(bn(conv2d(h1, weights[3], padding: 1), relu: false),
                             bn(conv2d(stem, weights[2]), relu: false))
            let h2 = bn(conv2d(y1, weights[4]), relu: true)
            let y2 = addReLU(bn(conv2d(h2, weights[5], padding: 1), relu: false), y1)
            for saved in [h1, y1, h2] { watch(saved) }
            return y2
        }
    }

    @Test("gradients equal those without recomputation bit for bit, and the rebuilt activations die in forward",
          arguments: [Layout.channelsLast, .blocked])
    func residualBlocks(layout: Layout) {
        guard layout.isAvailable else { return }
        let blocks = TwoBlocks(channels: 16, seed: 41)
        var random = TestRandom(seed: 42)
        let input = random.tensor([2, 3, 12, 10])
        func run(recompute: Bool) -> (values: [[Float]], alive: Int) {
            let x = input.copy()
            x.requiresGrad = true
            final class Weak { weak var storage: Storage? }  // the memory: saved operands share it, not the tensor
            var watched: [Weak] = []
            let y = withRecomputation(recompute) {
                blocks(x, layout: layout) { tensor in
                    let ref = Weak()
                    ref.storage = tensor.storage
                    watched.append(ref)
                }
            }
            let alive = watched.filter { $0.storage != nil }.count
            for w in blocks.weights { w.grad = nil }
            backward(y, gradient: Tensor(repeating: 0.5, shape: y.shape).withLayout(y.layout))
            return ([y.toArray(), x.grad!.toArray()] + blocks.weights.map { $0.grad!.toArray() }, alive)
        }
        let kept = run(recompute: false), rebuilt = run(recompute: true)
        #expect(kept.alive == 3, "without recomputation the convolutions' saved inputs stay alive")
        #expect(rebuilt.alive == 0, "with recomputation the BN+ReLU and add+ReLU outputs die once read")
        let same = rebuilt.values == kept.values
        #expect(same, "\(layout): output and gradients differ")
        #expect(kept.values[1].contains { $0 != 0 } && kept.values.allSatisfy { $0.allSatisfy(\.isFinite) })
    }

    @Test("under bf16 autocast nothing is rebuilt: the convolutions keep their bf16 operands")
    func bf16Unchanged() {
        guard Precision.bf16.isAvailable else { return }
        var random = TestRandom(seed: 43)
        let x = random.tensor([2, 16, 8, 8]).withLayout(.channelsLast)
        let y = withRecomputation(true) {
            withAutocast(.bf16) {
                TwoBlocks(channels: 16, seed: 44).bn(x, relu: true)
            }
        }
        #expect(y.rebuild == nil)
    }
}
