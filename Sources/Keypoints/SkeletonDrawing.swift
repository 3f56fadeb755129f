// Drawing people: keypoints as discs and skeleton limbs as thick lines, coloured by body side as
// mmpose's COCO visualisation (arms and legs: left green, right orange; head and torso: blue).

/// Which side of the body a joint or limb belongs to, for colouring.
public enum BodySide: Sendable, Equatable {
    case left, right, center
}

/// How `drawSkeleton` draws: sizes in pixels, colours per side, the score below which joints are skipped.
public struct SkeletonStyle: Sendable {
    public var jointRadius: Double = 4
    public var limbThickness: Double = 3
    /// Joints with a score below this are not drawn, nor are limbs touching them.
    public var scoreThreshold: Double = 0.3
    public var leftColor = RGBColor(0, 255, 0)
    public var rightColor = RGBColor(255, 128, 0)
    public var centerColor = RGBColor(51, 153, 255)
    /// Limb opacity (joints are opaque).
    public var limbOpacity: Double = 0.9

    public init() {}

    /// The colour for a body side.
    public func color(_ side: BodySide) -> RGBColor {
        switch side {
        case .left: return leftColor
        case .right: return rightColor
        case .center: return centerColor
        }
    }
}

extension KeypointMetainfo {
    /// Side of joint `j`: face joints are centre (as mmpose), others follow their `left_`/`right_` prefix.
    public func side(ofJoint j: Int) -> BodySide {
        let name = jointNames[j]
        if ["nose", "eye", "ear"].contains(where: { name.hasSuffix($0) }) { return .center }
        if name.hasPrefix("left_") { return .left }
        if name.hasPrefix("right_") { return .right }
        return .center
    }

    /// Side of limb `(a, b)`: an arm or leg segment (one end an elbow, wrist, knee or ankle) on one side
    /// takes that side; torso and face links are centre, as mmpose's COCO `skeleton_info`.
    public func side(ofLimb limb: (Int, Int)) -> BodySide {
        let distal = ["elbow", "wrist", "knee", "ankle"]
        let names = [jointNames[limb.0], jointNames[limb.1]]
        guard names.contains(where: { n in distal.contains { n.hasSuffix($0) } }) else { return .center }
        let sides = [side(ofJoint: limb.0), side(ofJoint: limb.1)]
        return sides[0] == sides[1] ? sides[0] : .center
    }
}

extension Image {
    /// Draws one person: limbs between joints whose scores pass `style.scoreThreshold`, then the joints.
    /// - Parameters:
    ///   - keypoints: K joint positions in pixels, in `metainfo` order.
    ///   - scores: K confidences (or COCO visibilities 0/1/2).
    public mutating func drawSkeleton(keypoints: [SIMD2<Double>], scores: [Double],
                                      metainfo: KeypointMetainfo = .coco, style: SkeletonStyle = SkeletonStyle()) {
        precondition(keypoints.count == metainfo.numJoints && scores.count == metainfo.numJoints,
                     "drawSkeleton: \(keypoints.count) keypoints and \(scores.count) scores, expected \(metainfo.numJoints)")
        let shown = scores.map { $0 >= style.scoreThreshold && $0.isFinite }
        for limb in metainfo.skeleton where shown[limb.0] && shown[limb.1] {
            drawLine(from: keypoints[limb.0], to: keypoints[limb.1], thickness: style.limbThickness,
                     color: style.color(metainfo.side(ofLimb: limb)), opacity: style.limbOpacity)
        }
        for j in 0..<metainfo.numJoints where shown[j] {
            fillCircle(center: keypoints[j], radius: style.jointRadius, color: style.color(metainfo.side(ofJoint: j)))
        }
    }

    /// Draws one COCO annotation's flat `[x1, y1, v1, …]` keypoints; joints with v > 0 are drawn.
    public mutating func drawSkeleton(cocoKeypoints flat: [Double], metainfo: KeypointMetainfo = .coco,
                                      style: SkeletonStyle = SkeletonStyle()) {
        precondition(flat.count == metainfo.numJoints * 3,
                     "drawSkeleton: \(flat.count) keypoint values, expected \(metainfo.numJoints * 3)")
        var style = style
        style.scoreThreshold = 0.5
        let points = (0..<metainfo.numJoints).map { SIMD2(flat[3 * $0], flat[3 * $0 + 1]) }
        let scores = (0..<metainfo.numJoints).map { flat[3 * $0 + 2] }
        drawSkeleton(keypoints: points, scores: scores, metainfo: metainfo, style: style)
    }
}
