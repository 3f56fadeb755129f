import Foundation
import Testing
import Tensors
@testable import NN
@testable import PoseModels

/// The fused inference path against the model's plain eval-mode forward, on counter weights: every BatchNorm
/// has non-trivial statistics and affine parameters (running_var 0.75…1.25, running_mean and β ±0.1,
/// γ 0.8…1.2), so a wrong fold or a missing bias shows.
@Suite("InferencePlan matches the plain eval forward")
struct InferencePlanTests {
    /// res18 (SimpleBaseline), res18_3 and res18_4 (multi-scale) at full width; res50 (bottleneck blocks, with
    /// the sum post-op on conv3) and res50_3 narrowed to base width 16 and 64 head channels to stay fast.
    static let models = ["res18", "res18_3", "res18_4", "res50", "res50_3"]

    static func model(_ name: String) throws -> PoseNet {
        let parsed = try ModelName(parsing: name)
        let options = parsed.depth == 50 ? ModelOptions(baseWidth: 16, headChannels: 64) : ModelOptions()
        let model = PoseNet(name: parsed, options: options)
        try model.loadStateDict(counterStateDict(shapes: model.stateShapes()), file: "counter weights")
        model.eval()
        return model
    }

    static func input() -> Tensor {
        Tensor(shape: [2, 3, 64, 64], values: counterTensorValues(name: "input", shape: [2, 3, 64, 64]))
    }

    /// Largest |a − b| relative to max|reference|.
    static func relativeError(_ values: [Float], _ reference: [Float]) -> Float {
        let scale = reference.map { abs($0) }.max()!
        return zip(values, reference).map { abs($0 - $1) }.max()! / scale
    }

    @Test("fused fp32 output within 1e-4 of max|plain| (SimpleBaseline and multi-scale heads; blocked + Winograd and channelsLast)",
          arguments: models, PoseNetParityTests.layouts)
    func fusedFP32(name: String, layout: Layout) throws {
        let model = try Self.model(name)
        model.backbone.activationLayout = layout
        let x = Self.input()
        let reference = Tape.withoutGrad { model(x) }.toArray()
        let y = InferencePlan(model, precision: .fp32)(x)
        #expect(y.shape == [2, 17, 16, 16])
        let error = Self.relativeError(y.toArray(), reference)
        #expect(error <= 1e-4, "relative error \(error)")
    }

    /// bf16 keeps 8 bits of mantissa (relative rounding 2^-9 ≈ 0.2% per value); through ~20 layers the
    /// errors grow to about 1% of the largest heatmap value, so the bound is 2e-2.
    @Test("fused bf16 output within 2e-2 of max|plain| where the CPU has avx512_bf16", arguments: models)
    func fusedBF16(name: String) throws {
        guard let implementation = bf16ConvolutionImplementation() else {
            print("skipped fused bf16 \(name): oneDNN finds no native bf16 convolution on this CPU (no avx512_bf16)")
            return
        }
        let model = try Self.model(name)
        let x = Self.input()
        let reference = Tape.withoutGrad { model(x) }.toArray()
        let y = InferencePlan(model, precision: .bf16)(x)
        let error = Self.relativeError(y.toArray(), reference)
        #expect(error <= 2e-2, "relative error \(error) (\(implementation))")
        #expect(error > 0, "bf16 output is bit-identical to fp32: bf16 did not run")
    }

    @Test("no fused primitive falls back to oneDNN's ref: implementation")
    func noReferenceFallback() throws {
        let model = try Self.model("res18_3")
        for precision in Precision.allCases where precision == .fp32 || bf16ConvolutionImplementation() != nil {
            _ = InferencePlan(model, precision: precision)(Self.input())
        }
        let fallbacks = PrimitiveLog.shared.referenceFallbacks.filter { $0.key.hasPrefix("fused") || $0.key.contains("inference") }
        #expect(fallbacks.isEmpty, "\(fallbacks)")
    }

    @Test("the input tensor is left unchanged (a channelsLast fp32 input shares memory with the plan's first activation)")
    func inputUnchanged() throws {
        let model = try Self.model("res18")
        let x = Self.input().withLayout(.channelsLast)
        let before = x.toArray()
        _ = InferencePlan(model)(x)
        #expect(x.toArray() == before)
    }

    @Test("a plan is stale once a weight or running statistic changes; inferenceForward then rebuilds it")
    func stalePlanIsRebuilt() throws {
        let model = try Self.model("res18")
        let x = Self.input()
        let forward = model.inferenceForward(engine: .fused)
        let plan = InferencePlan(model)
        let before = forward(x).toArray()
        #expect(plan.isCurrent)
        let bn = model.backbone.layer1.blocks[0].body[0].bn
        bn.runningVar.assign(Tensor(repeating: 4, shape: bn.runningVar.shape))
        #expect(!plan.isCurrent)
        let reference = Tape.withoutGrad { model(x) }.toArray()
        let after = forward(x).toArray()
        #expect(after != before)
        #expect(Self.relativeError(after, reference) <= 1e-4)
    }
}
