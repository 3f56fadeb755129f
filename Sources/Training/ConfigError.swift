// Errors of loading a training configuration: one line each, naming the file (and line), the key
// and what was expected.

/// A configuration file or `--set` override that cannot be used.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// The text is not YAML, or its top level is not a mapping.
    case syntax(source: String, message: String)
    /// A key that is not in the schema, with the nearest valid key (edit distance) when one is close.
    case unknownKey(key: String, source: String, suggestion: String?)
    /// A value of the wrong type.
    case typeMismatch(key: String, source: String, expected: String, found: String)
    /// A value of the right type outside its allowed range.
    case invalidValue(key: String, source: String, message: String)
    /// The same key twice in one mapping.
    case duplicateKey(key: String, source: String)
    /// A `--set` argument that is not `key.path=value`.
    case badOverride(argument: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): cannot read the config: \(reason)"
        case .syntax(let source, let message):
            return "\(source): \(message)"
        case .unknownKey(let key, let source, let suggestion):
            let hint = suggestion.map { " (did you mean '\($0)'?)" } ?? ""
            return "\(source): unknown key '\(key)'\(hint)"
        case .typeMismatch(let key, let source, let expected, let found):
            return "\(source): \(key) must be \(expected), got \(found)"
        case .invalidValue(let key, let source, let message):
            return "\(source): \(key) \(message)"
        case .duplicateKey(let key, let source):
            return "\(source): key '\(key)' appears twice"
        case .badOverride(let argument, let reason):
            return "--set '\(argument)': \(reason)"
        }
    }
}

/// Levenshtein distance between two strings (by Unicode scalar), for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

/// The valid key nearest to `key`: compares whole dotted paths and, for a key in the wrong section
/// (`lr` at the top level), last components. Nil when nothing is within half the key's length.
func nearestKey(to key: String, among candidates: [String]) -> String? {
    let leaf = key.split(separator: ".").last.map(String.init) ?? key
    var best: (String, Int)?
    for candidate in candidates {
        let candidateLeaf = candidate.split(separator: ".").last.map(String.init) ?? candidate
        let distance = min(editDistance(key, candidate), editDistance(leaf, candidateLeaf) + 1)
        if best == nil || distance < best!.1 { best = (candidate, distance) }
    }
    guard let (candidate, distance) = best, distance <= max(2, leaf.count / 2) else { return nil }
    return candidate
}
