import Testing
@testable import Tensors

/// `withRecomputation`: batch-norm and residual add+ReLU outputs rebuilt in backward instead of kept.
@Suite("Recomputation")
struct RecomputationTests {
    @Test("a recipe is made once for all its reserved users, then used up: it releases what it captured")
    func rebuildCounting() {
        final class Weak { weak var tensor: Tensor? }
        let input = Weak()
        var made = 0
        let rebuild: Rebuild = {
            let captured = Tensor(repeating: 2, shape: [4])
            input.tensor = captured
            return Rebuild {
                made += 1
                return captured.copy()
            }
        }()
        for _ in 0..<3 { _ = rebuild.reserve() }
        #expect(input.tensor != nil && rebuild.isAvailable)
        let first = rebuild.take(), second = rebuild.take(), third = rebuild.take()
        #expect(made == 1 && first === second && second === third && first.toArray() == [2, 2, 2, 2])
        #expect(!rebuild.isAvailable && input.tensor == nil, "used up after the last reserved take")
    }

    /// A stem and two residual blocks as a ResNet's (conv → BN+ReLU → conv → BN, add the shortcut, ReLU; the first
    /// block with a projection shortcut, the second with the identity) in `layout` after the stem, then two head
    /// deconvolutions; `watch` sees the activations that convolutions and deconvolutions save for backward.
    struct TwoBlocks {
        let weights: [Tensor]
        init(channels c: Int, seed: UInt64) {
            var random = TestRandom(seed: seed)
            weights = [[c, 3, 3, 3], [c, c, 3, 3], [c, c, 1, 1], [c, c, 3, 3], [c, c, 1, 1], [c, c, 3, 3],
                       [c, c, 4, 4], [c, c, 4, 4]].map {
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

        /// The output [N, C, 4H, 4W] after the blocks and two head deconvolutions (the fused one with BN+ReLU, then
        /// the plain one).
        func callAsFunction(_ x: Tensor, layout: Layout, watch: (Tensor) -> Void) -> Tensor {
            let stem = toLayout(bn(conv2d(x, weights[0], padding: 1), relu: true), layout)
            let h1 = bn(conv2d(stem, weights[1], padding: 1), relu: true)
            let y1 = addReLU(bn(conv2d(h1, weights[3], padding: 1), relu: false),
                             bn(conv2d(stem, weights[2]), relu: false))
            let h2 = bn(conv2d(y1, weights[4]), relu: true)
            let y2 = addReLU(bn(conv2d(h2, weights[5], padding: 1), relu: false), y1)
            let c = y2.shape[1]
            let gamma = Tensor(repeating: 0.9, shape: [c]), beta = Tensor(repeating: 0.1, shape: [c])
            gamma.requiresGrad = true
            beta.requiresGrad = true
            let d1 = convTranspose2dBatchNorm2d(toLayout(y2, .channelsLast), weights[6], stride: 2, padding: 1,
                                                normWeight: gamma, normBias: beta, runningMean: Tensor(zeros: [c]),
                                                runningVar: Tensor(repeating: 1, shape: [c]), training: true,
                                                fuseReLU: true)
            let output = convTranspose2d(d1, weights[7], stride: 2, padding: 1)
            for saved in [h1, y1, h2, y2, d1] { watch(saved) }
            return output
        }

        /// The recipes a recomputed step makes: h1, the two BN outputs y1 adds and y1, h2, the BN output y2 adds and
        /// y2, d1; and in channelsLast also the stem's output, which the convolutions then read without a copy.
        static func recipes(_ layout: Layout) -> Int { layout == .channelsLast ? 9 : 8 }
    }

    @Test("gradients equal those without recomputation bit for bit, and the rebuilt activations die in forward",
          arguments: [Layout.channelsLast, .blocked])
    func residualBlocks(layout: Layout) {
        guard layout.isAvailable else { return }
        let blocks = TwoBlocks(channels: 16, seed: 41)
        var random = TestRandom(seed: 42)
        let input = random.tensor([2, 3, 12, 10])
        func run(recompute: Bool) -> (values: [[Float]], alive: Int, rebuilt: Int) {
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
            let rebuiltBefore = Tape.state.rebuildCount
            backward(y, gradient: Tensor(repeating: 0.5, shape: y.shape).withLayout(y.layout))
            return ([y.toArray(), x.grad!.toArray()] + blocks.weights.map { $0.grad!.toArray() }, alive,
                    Tape.state.rebuildCount - rebuiltBefore)
        }
        let kept = run(recompute: false), rebuilt = run(recompute: true)
        #expect(kept.alive == 5, "without recomputation the saved inputs stay alive")
        #expect(rebuilt.alive == 0, "with recomputation the BN+ReLU and add+ReLU outputs die once read")
        #expect(kept.rebuilt == 0 && rebuilt.rebuilt == TwoBlocks.recipes(layout), "each recipe made once: \(rebuilt.rebuilt)")
        let same = rebuilt.values == kept.values
        #expect(same, "\(layout): output and gradients differ")
        #expect(kept.values[1].contains { $0 != 0 } && kept.values.allSatisfy { $0.allSatisfy(\.isFinite) })
    }

    @Test("an output with a recipe, kept after backward, holds none (nothing pinned) and serves further graphs")
    func keptAfterBackward() {
        let blocks = TwoBlocks(channels: 16, seed: 45)
        var random = TestRandom(seed: 46)
        let x = random.tensor([2, 16, 6, 5]).withLayout(.channelsLast)
        let y = withRecomputation(true) {
            addReLU(blocks.bn(conv2d(x, blocks.weights[1], padding: 1), relu: false),
                    blocks.bn(conv2d(x, blocks.weights[2]), relu: false))
        }
        var gradients: [[Float]] = []
        for _ in 0..<2 {
            #expect(y.rebuild != nil || !gradients.isEmpty)
            let z = withRecomputation(true) { relu(conv2d(y, blocks.weights[3], padding: 1)) }
            blocks.weights[3].grad = nil
            backward(z, gradient: Tensor(repeating: 1, shape: z.shape).withLayout(z.layout))
            #expect(y.rebuild == nil, "the recipe died with the tape")
            gradients.append(blocks.weights[3].grad!.toArray())
        }
        #expect(gradients[0] == gradients[1] && gradients[0].contains { $0 != 0 })
    }

    @Test("an op that records nothing reserves nothing, and a frozen batch norm on a trainable input gets a recipe")
    func reservations() {
        let blocks = TwoBlocks(channels: 16, seed: 47)
        var random = TestRandom(seed: 48)
        let x = random.tensor([2, 16, 6, 5]).withLayout(.channelsLast)
        var recipe: Rebuild?
        let z = withRecomputation(true) { () -> Tensor in
            let h = blocks.bn(conv2d(x, blocks.weights[1], padding: 1), relu: true)
            recipe = h.rebuild
            _ = Tape.withoutGrad { conv2d(h, blocks.weights[3], padding: 1) }
            return conv2d(h, blocks.weights[4])
        }
        #expect(recipe?.isAvailable == true)
        backward(z, gradient: Tensor(repeating: 1, shape: z.shape).withLayout(z.layout))
        #expect(recipe?.isAvailable == false, "used up by the one recorded convolution")

        // 5 channels: batch norm runs on a channel-padded copy, which does not itself require grad.
        let w = random.tensor([5, 16, 1, 1])
        w.requiresGrad = true
        let frozen = withRecomputation(true) {
            batchNorm2d(conv2d(x, w), weight: Tensor(repeating: 1, shape: [5]), bias: Tensor(zeros: [5]),
                        runningMean: Tensor(zeros: [5]), runningVar: Tensor(repeating: 1, shape: [5]), training: true,
                        fuseReLU: true)
        }
        #expect(frozen.rebuild != nil, "the input's gradient flows through it: its output is recomputed")
        Tape.reset()
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
