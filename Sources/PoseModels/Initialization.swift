// Fresh weights as the SimpleBaseline code initialises them: backbone convolutions Kaiming normal
// (torchvision: mode fan_out, ReLU gain), BatchNorm weight 1 and bias 0, deconvolution and 1×1 head
// weights normal(0, 0.001), head bias 0. Seeded and deterministic.
import Foundation
import NN
import Tensors

/// A seeded normal generator (SplitMix64 + Box–Muller) for weight initialisation.
struct InitRandom {
    private var state: UInt64
    private var spare: Double?

    init(seed: UInt64) { state = seed }

    mutating func nextUniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) * 0x1p-53
    }

    mutating func nextNormal() -> Double {
        if let s = spare {
            spare = nil
            return s
        }
        let u1 = max(nextUniform(), 1e-300), u2 = nextUniform()
        let r = (-2 * Foundation.log(u1)).squareRoot()
        spare = r * Foundation.sin(2 * .pi * u2)
        return r * Foundation.cos(2 * .pi * u2)
    }

    mutating func normal(count: Int, std: Double) -> [Float] {
        (0..<count).map { _ in Float(nextNormal() * std) }
    }
}


extension PoseNet {
    /// Re-initialises every entry as the SimpleBaseline code does (see the file header).
    public func initializeWeights(seed: UInt64) {
        var random = InitRandom(seed: seed)
        for (key, value) in namedState() {
            switch value {
            case .parameter(let t):
                let isHead = key.hasPrefix("deconv_layers.") || key.hasPrefix("final_layer")
                if t.shape.count == 4 {
                    // Kaiming normal, fan_out: std = sqrt(2 / (out_channels · kh · kw)).
                    let std = isHead ? 0.001 : (2.0 / Double(t.shape[0] * t.shape[2] * t.shape[3])).squareRoot()
                    t.assign(Tensor(shape: t.shape, values: random.normal(count: t.count, std: std)))
                } else if key.hasSuffix("weight") {
                    t.assign(Tensor(repeating: 1, shape: t.shape))
                } else {
                    t.assign(Tensor(zeros: t.shape))
                }
            case .buffer(let t):
                t.assign(Tensor(repeating: key.hasSuffix("running_var") ? 1 : 0, shape: t.shape))
            case .counter(let c):
                c.value = 0
            }
        }
    }
}
