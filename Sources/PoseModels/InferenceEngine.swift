// Which forward pass inference runs: the model's own eval-mode ops, or an `InferencePlan` in fp32 or bf16.
import Tensors

/// The inference execution path, as the CLI's `--engine` spells it.
public enum InferenceEngine: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The module's eval-mode forward (separate BatchNorm, ReLU and add ops), as in training.
    case plain
    /// `InferencePlan` in fp32: BatchNorm folded, ReLU and residual adds fused (equal to plain within 1e-4).
    case fused
    /// `InferencePlan` with bf16 activations and weights (needs avx512_bf16).
    case fusedBF16 = "fused-bf16"

    public var description: String { rawValue }

    /// Whether this CPU can run the engine: `fused-bf16` needs a native bf16 convolution.
    public var isAvailable: Bool { self != .fusedBF16 || Precision.bf16.isAvailable }
}

extension PoseNet {
    /// A forward function for inference with `engine`, without recording a tape: `plain` sets eval mode at
    /// each call; the fused engines build the `InferencePlan` from the current weights once (and again on
    /// the next call if the weights changed).
    public func inferenceForward(engine: InferenceEngine) -> (Tensor) -> Tensor {
        guard engine != .plain else {
            return { x in
                self.eval()
                return Tape.withoutGrad { self(x) }
            }
        }
        let precision: Precision = engine == .fusedBF16 ? .bf16 : .fp32
        var plan = InferencePlan(self, precision: precision)
        return { x in
            if !plan.isCurrent { plan = InferencePlan(self, precision: precision) }
            return plan(x)
        }
    }
}
