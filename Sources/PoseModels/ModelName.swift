// Model names: `resN` (SimpleBaseline over ResNet-N) and `resN_R` (multi-scale head over the last R scales).

/// A parsed model name such as `res50` or `res50_3`.
public struct ModelName: Sendable, Equatable, CustomStringConvertible {
    /// ResNet depth: 18, 34, 50, 101 or 152.
    public let depth: Int
    /// Number of predicted scales: 1 (SimpleBaseline) or 2…4 (multi-scale head).
    public let scales: Int

    public static let depths = [18, 34, 50, 101, 152]

    /// Every valid name, for `--help` and tests.
    public static let all: [ModelName] = depths.flatMap { d in (1...4).map { ModelName(depth: d, scales: $0) } }

    public init(depth: Int, scales: Int) {
        self.depth = depth
        self.scales = scales
    }

    /// Parses `res50`, `res50_3`, …; throws `ModelError.unknownName` otherwise.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts[0].hasPrefix("res"),
              let depth = Int(parts[0].dropFirst(3)), Self.depths.contains(depth) else {
            throw ModelError.unknownName(text)
        }
        var scales = 1
        if parts.count == 2 {
            guard let r = Int(parts[1]), (2...4).contains(r) else { throw ModelError.unknownName(text) }
            scales = r
        }
        self.init(depth: depth, scales: scales)
    }

    public var description: String { scales == 1 ? "res\(depth)" : "res\(depth)_\(scales)" }
}

/// Errors of model construction and naming.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case unknownName(String)

    public var description: String {
        switch self {
        case .unknownName(let name):
            return "unknown model '\(name)': expected resN or resN_R with N in 18, 34, 50, 101, 152 and R in 2, 3, 4 "
                + "(e.g. res50, res50_3)"
        }
    }
}
