// What a resolved config builds: the network, the heatmap codec and the test-time evaluator.
import Foundation
import Keypoints
import NN
import PoseEval
import PoseModels
import Tensors

extension TrainConfig {
    /// The network of `model` (zero weights until initialised or loaded).
    public func makeModel() throws -> PoseNet {
        let options = ModelOptions(width: HeadWidth(rawValue: model.width.rawValue)!,
                                   upsample: UpsampleMode(rawValue: model.upsample.rawValue)!, joints: model.joints)
        return PoseNet(name: try ModelName(parsing: model.name), options: options)
    }

    /// The MSRA heatmap codec of `data` (input and heatmap sizes, sigma).
    public var codec: MSRAHeatmapCodec {
        MSRAHeatmapCodec(inputSize: data.inputSize, heatmapSize: data.heatmapSize, sigma: data.sigma, metainfo: .coco)
    }

    /// ImageNet normalisation in the configured channel order.
    public var normalization: InputNormalization { InputNormalization(bgr: data.colorOrder == .bgr) }

    /// SimpleBaseline's test pipeline with this config's sizes, flip test and batch size.
    public func makeEvaluator(flipTest: Bool? = nil) -> TopDownEvaluator {
        TopDownEvaluator(codec: codec, normalization: normalization, flipTest: flipTest ?? eval.flipTest,
                         batchSize: eval.batchSize, workers: data.workers)
    }
}

/// The network as the evaluator's closure: normalised images [N, 3, H, W] → heatmaps [N, K, h, w],
/// in eval mode without recording a tape, through `engine` (the fused ones fold the weights once, here).
public func heatmapPredictor(_ model: PoseNet, inputSize: GridSize,
                             engine: InferenceEngine = .plain) -> (EvalBatch) throws -> [Float] {
    let forward = model.inferenceForward(engine: engine)
    return { batch in
        let x = Tensor(shape: [batch.count, 3, inputSize.height, inputSize.width], values: batch.images)
        return forward(x).toArray()
    }
}
