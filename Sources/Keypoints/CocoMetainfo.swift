// The COCO person-keypoint metainfo in one place: joint names, flip pairs, OKS sigmas, skeleton.
// Values as mmpose `configs/_base_/datasets/coco.py` and pycocotools `COCOeval` (sigmas).

/// The dataset description shared by targets, augmentation, evaluation and drawing.
public struct KeypointMetainfo: Sendable {
    /// Joint names in the dataset's keypoint order.
    public let jointNames: [String]
    /// Left/right partner pairs (0-based joint indices) swapped by a horizontal flip.
    public let flipPairs: [(Int, Int)]
    /// Per-joint OKS sigmas (pycocotools `kpt_oks_sigmas`).
    public let sigmas: [Double]
    /// Limbs as 0-based joint index pairs, for drawing.
    public let skeleton: [(Int, Int)]
    /// Joints of the upper body (used by half-body augmentation).
    public let upperBodyJoints: [Int]
    /// Per-joint loss weights (all 1 for COCO, as SimpleBaseline).
    public let jointWeights: [Float]

    public var numJoints: Int { jointNames.count }

    /// `flipIndex[j]` is the joint that `j` becomes after a horizontal flip.
    public var flipIndex: [Int] {
        var index = Array(0..<numJoints)
        for (a, b) in flipPairs {
            index[a] = b
            index[b] = a
        }
        return index
    }

    /// The 17 COCO person keypoints.
    public static let coco = KeypointMetainfo(
        jointNames: [
            "nose", "left_eye", "right_eye", "left_ear", "right_ear",
            "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
            "left_wrist", "right_wrist", "left_hip", "right_hip",
            "left_knee", "right_knee", "left_ankle", "right_ankle",
        ],
        flipPairs: [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)],
        sigmas: [
            0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72,
            0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89,
        ].map { $0 / 10.0 },
        skeleton: [
            (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6),
            (5, 7), (6, 8), (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6),
        ],
        upperBodyJoints: Array(0...10),
        jointWeights: Array(repeating: 1, count: 17))
}
