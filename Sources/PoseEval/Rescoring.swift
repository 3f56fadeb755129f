// Rescoring as SimpleBaseline `evaluate` (lib/dataset/coco.py): score = box score × mean of the joint
// confidences above `in_vis_thre` (0 when no joint is above it).
import Foundation

/// The person score SimpleBaseline writes: `boxScore * mean(s_j for s_j > inVisThreshold)`, or 0 if none is.
public func rescore(_ prediction: PersonPrediction, inVisThreshold: Double = 0.2) -> Double {
    var sum = 0.0
    var valid = 0
    for j in stride(from: 2, to: prediction.keypoints.count, by: 3) where prediction.keypoints[j] > inVisThreshold {
        sum += prediction.keypoints[j]
        valid += 1
    }
    return valid == 0 ? 0 : sum / Double(valid) * prediction.score
}

/// Rescoring then OKS-NMS per image, as SimpleBaseline `evaluate`: images in order of first appearance,
/// each image's kept persons in `oksNms` order (descending score).
public func rescoreAndSuppress(_ predictions: [PersonPrediction], inVisThreshold: Double = 0.2,
                               oksThreshold: Double = 0.9, sigmas: [Double]) -> [PersonPrediction] {
    var order = [Int]()
    var byImage = [Int: [PersonPrediction]]()
    for prediction in predictions {
        if byImage[prediction.imageId] == nil { order.append(prediction.imageId) }
        var rescored = prediction
        rescored.score = rescore(prediction, inVisThreshold: inVisThreshold)
        byImage[prediction.imageId, default: []].append(rescored)
    }
    return order.flatMap { imageId -> [PersonPrediction] in
        let persons = byImage[imageId]!
        return oksNms(persons, threshold: oksThreshold, sigmas: sigmas).map { persons[$0] }
    }
}

/// Writes rescored, suppressed predictions as a COCO keypoint results file, atomically (temporary + rename).
public func writeCocoResults(_ predictions: [PersonPrediction], to url: URL, categoryId: Int = 1) throws {
    try KeypointResults.write(predictions.map { $0.result(categoryId: categoryId) }, to: url)
}
