// One person predicted by the top-down pipeline, as SimpleBaseline `evaluate` collects them (lib/dataset/coco.py).

/// A person crop's prediction in image pixels: K joints `(x, y, confidence)`, its box area and score.
public struct PersonPrediction: Sendable, Equatable {
    public var imageId: Int
    /// Flat `[x1, y1, s1, …, xK, yK, sK]`; s is the heatmap maximum.
    public var keypoints: [Double]
    /// Box area used by OKS-NMS: `prod(scale * 200)` in SimpleBaseline.
    public var area: Double
    /// The box (detector) score; after `rescore` the box score × the mean confident-joint score.
    public var score: Double

    public init(imageId: Int, keypoints: [Double], area: Double, score: Double) {
        self.imageId = imageId
        self.keypoints = keypoints
        self.area = area
        self.score = score
    }

    /// The COCO results record (`category_id` 1 = person).
    public func result(categoryId: Int = 1) -> KeypointResult {
        KeypointResult(imageId: imageId, categoryId: categoryId, keypoints: keypoints, score: score)
    }
}
