// `--engine`, shared by bench, eval and predict.
import ArgumentParser
import PoseModels
import Tensors

extension InferenceEngine: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}

/// `--engine plain|fused|fused-bf16`: which forward pass inference runs.
struct EngineArguments: ParsableArguments {
    @Option(help: """
        Inference path: plain (the model's eval-mode ops), fused (BatchNorm folded into the convolutions, ReLU \
        and residual adds fused; equal to plain within 1e-4) or fused-bf16 (the same with bf16 activations \
        and weights; needs avx512_bf16).
        """)
    var engine: InferenceEngine = .fused

    func validate() throws {
        guard engine.isAvailable else {
            throw ValidationError("--engine fused-bf16: this CPU has no native bf16 convolutions (avx512_bf16); use fused")
        }
    }
}
