import Testing
@testable import Tensors

/// Every op against PyTorch (Fixtures/ops.json): output and input gradients for loss = Σ y·R.
/// Tolerance 1e-5 of max|ref|: float32 reductions in a different order than PyTorch's.
@Suite("ops match PyTorch")
struct OpFixtureTests {
    static let tolerance: Float = 1e-5

    func expectMatches(_ name: String, channelsLast: Bool = false, op: ([Tensor]) -> Tensor) {
        let c = Fixtures.opCases[name]!
        let (output, grads) = runCase(c, channelsLast: channelsLast, op: op)
        #expect(relativeError(output, c.output.values) < Self.tolerance, "\(name) output")
        for (k, (g, ref)) in zip(grads, c.grads).enumerated() {
            #expect(relativeError(g, ref) < Self.tolerance, "\(name) grad of input \(k)")
        }
    }

    @Test("conv2d matches the PyTorch fixture with NCHW and NHWC inputs", arguments: [false, true])
    func conv2dCases(channelsLast: Bool) {
        expectMatches("conv2d_3x3_s1_p1", channelsLast: channelsLast) { conv2d($0[0], $0[1], stride: 1, padding: 1) }
        expectMatches("conv2d_3x3_s2_p1_bias", channelsLast: channelsLast) {
            conv2d($0[0], $0[1], bias: $0[2], stride: 2, padding: 1)
        }
        expectMatches("conv2d_7x7_s2_p3", channelsLast: channelsLast) { conv2d($0[0], $0[1], stride: 2, padding: 3) }
        expectMatches("conv2d_1x1_bias", channelsLast: channelsLast) { conv2d($0[0], $0[1], bias: $0[2]) }
    }

    @Test("conv_transpose2d 4x4 stride 2 padding 1 matches the PyTorch fixtures (sub-pixel, strided-convolution and oneDNN deconvolution paths)",
          arguments: [false, true])
    func convTranspose2dCase(channelsLast: Bool) {
        // 6 input channels run the sub-pixel phases, 16 the strided convolution (`headDeconvolution`).
        for name in ["conv_transpose2d_4x4_s2_p1", "conv_transpose2d_4x4_s2_p1_c16"] {
            for viaConvolutions in [true, false] {
                expectMatches(name, channelsLast: channelsLast) {
                    convTranspose2d($0[0], $0[1], stride: 2, padding: 1, viaConvolutions: viaConvolutions)
                }
            }
        }
    }

    @Test("relu, max_pool2d, cat, add and mean match the PyTorch fixtures", arguments: [false, true])
    func elementwiseCases(channelsLast: Bool) {
        expectMatches("relu", channelsLast: channelsLast) { relu($0[0]) }
        expectMatches("max_pool2d_3_2_1", channelsLast: channelsLast) { maxPool2d($0[0], kernelSize: 3, stride: 2, padding: 1) }
        expectMatches("cat_channels", channelsLast: channelsLast) { concatChannels($0) }
        expectMatches("add", channelsLast: channelsLast) { add($0[0], $0[1]) }
        expectMatches("mean3", channelsLast: channelsLast) { mean($0) }
    }

    @Test("interpolate by 2 and 8, bilinear (align_corners=False) and nearest, matches PyTorch",
          arguments: UpsampleMode.allCases)
    func upsampleCases(mode: UpsampleMode) {
        for factor in [2, 8] {
            expectMatches("interpolate_\(mode.rawValue)_x\(factor)") { upsample($0[0], factor: factor, mode: mode) }
        }
    }

    @Test("batch_norm in train and eval mode matches PyTorch, running statistics included",
          arguments: [true, false])
    func batchNormCase(training: Bool) {
        let c = Fixtures.opCases[training ? "batch_norm_train" : "batch_norm_eval"]!
        let runningMean = Tensor(shape: [3], values: c.running_mean_before!)
        let runningVar = Tensor(shape: [3], values: c.running_var_before!)
        for channelsLast in [false, true] {
            runningMean.assign(Tensor(shape: [3], values: c.running_mean_before!))
            runningVar.assign(Tensor(shape: [3], values: c.running_var_before!))
            let (output, grads) = runCase(c, channelsLast: channelsLast) {
                batchNorm2d($0[0], weight: $0[1], bias: $0[2], runningMean: runningMean, runningVar: runningVar,
                            training: training)
            }
            #expect(relativeError(output, c.output.values) < 1e-5)
            for (g, ref) in zip(grads, c.grads) { #expect(relativeError(g, ref) < 1e-5) }
            #expect(relativeError(runningMean.toArray(), c.running_mean_after!) < 1e-6)
            #expect(relativeError(runningVar.toArray(), c.running_var_after!) < 1e-6)
        }
    }

    @Test("batch_norm with fused ReLU equals relu(batch_norm) in train and eval mode, gradients included",
          arguments: [true, false])
    func fusedBatchNormReLU(training: Bool) {
        let c = Fixtures.opCases["batch_norm_train"]!
        func run(fused: Bool) -> (output: [Float], grads: [[Float]]) {
            let rm = Tensor(shape: [3], values: c.running_mean_before!)
            let rv = Tensor(shape: [3], values: c.running_var_before!)
            return runCase(c, channelsLast: true) {
                fused
                    ? batchNorm2d($0[0], weight: $0[1], bias: $0[2], runningMean: rm, runningVar: rv,
                                  training: training, fuseReLU: true)
                    : relu(batchNorm2d($0[0], weight: $0[1], bias: $0[2], runningMean: rm, runningVar: rv,
                                       training: training))
            }
        }
        let fused = run(fused: true), unfused = run(fused: false)
        #expect(relativeError(fused.output, unfused.output) < 1e-6)
        for (g, ref) in zip(fused.grads, unfused.grads) { #expect(relativeError(g, ref) < 1e-5) }
    }

    @Test("weighted MSE equals F.mse_loss(pred·w, target·w) and its gradient")
    func mseCase() {
        let c = Fixtures.opCases["mse_weighted"]!
        let target = Tensor(shape: c.inputs[0].shape, values: c.target!)
        let weights = Tensor(shape: [2, 3], values: c.joint_weights!)
        expectMatches("mse_weighted") { mseLoss($0[0], target, jointWeights: weights) }
    }

    @Test("no primitive created by the fixtures is oneDNN's ref: fallback")
    func noReferenceImplementations() {
        conv2dCases(channelsLast: true)
        convTranspose2dCase(channelsLast: true)
        elementwiseCases(channelsLast: true)
        batchNormCase(training: true)
        #expect(PrimitiveLog.shared.referenceFallbacks.isEmpty, "\(PrimitiveLog.shared.referenceFallbacks)")
    }
}
