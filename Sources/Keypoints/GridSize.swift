// A labelled (width, height) pair, so input and heatmap sizes are never bare tuples (mmpose's (w, h) trap).

/// A size in pixels or heatmap cells, always `width` first.
public struct GridSize: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// `width * height`.
    public var area: Int { width * height }

    /// `width / height`, as SimpleBaseline's `aspect_ratio`.
    public var aspectRatio: Double { Double(width) / Double(height) }

    public var description: String { "\(width)x\(height) (w x h)" }
}
