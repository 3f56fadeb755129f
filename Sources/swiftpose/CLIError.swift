// Runtime errors of the CLI itself (bad files found while running); printed as one line by the root.

/// A one-line error such as `photos/a.jpg: no such image`.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
