// Errors of the NN target's file formats (safetensors, .npy, PyTorch checkpoints): one line each, naming the file.

/// Why a weights or array file could not be read or written.
///
/// Each `description` is one line: `<file>: <what was wrong, and what was expected>`, e.g.
/// `x.npy: dtype <f8, expected <f4 (float32)`.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The operating system refused to open, read, write or rename the file.
    case io(file: String, reason: String)
    /// The bytes break the file format (truncation, bad header, bad offsets, wrong dtype, …).
    case malformed(file: String, reason: String)
    /// A PyTorch pickle names a global outside the state-dict allowlist (e.g. `os.system`); nothing was run.
    case refusedGlobal(file: String, global: String)

    public var description: String {
        switch self {
        case .io(let file, let reason), .malformed(let file, let reason):
            return "\(file): \(reason)"
        case .refusedGlobal(let file, let global):
            return "\(file): refused: the pickle references the global '\(global)', which a state_dict never needs "
                + "(only torch tensor/storage rebuilders and collections.OrderedDict are accepted); nothing was loaded or run"
        }
    }
}
