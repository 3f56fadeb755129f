// Errors of a training run: one line each, naming the file, key or iteration and what was expected.

/// Why a training run could not start, resume or go on.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// The data root or its annotation file is missing.
    case missingDataRoot(root: String, missing: String)
    /// A split has no usable person.
    case emptyDataset(file: String)
    /// The loss became NaN or infinite; nothing was saved after the last good checkpoint.
    case nonFiniteLoss(loss: Float, epoch: Int, iteration: Int, lastCheckpoint: String?)
    /// `--resume` found no checkpoint file.
    case missingCheckpoint(file: String)
    /// The file is a weights file without training state (`__metadata__` lacks `swiftpose_checkpoint`).
    case notATrainingCheckpoint(file: String)
    /// The checkpoint was written by a run of another model or another config.
    case resumeMismatch(file: String, reason: String)
    /// `model.pretrained` names a file that does not exist or has an unknown extension.
    case pretrained(file: String, reason: String)

    public var description: String {
        switch self {
        case .missingDataRoot(let root, let missing):
            return "data root \(root): \(missing) not found (expected the COCO layout: ROOT/annotations/person_keypoints_{train,val}2017.json, ROOT/{train,val}2017/*.jpg; make one with `swiftpose synth --out \(root)`)"
        case .emptyDataset(let file):
            return "\(file): no usable person annotation (every person has a degenerate box or no keypoints)"
        case .nonFiniteLoss(let loss, let epoch, let iteration, let last):
            let kept = last.map { "the last good checkpoint is kept unchanged: \($0)" } ?? "no checkpoint had been written yet"
            return "loss is \(loss) at epoch \(epoch + 1), iteration \(iteration + 1); training stopped (lower optimizer.lr or check the data); \(kept)"
        case .missingCheckpoint(let file):
            return "\(file): no checkpoint to resume from"
        case .notATrainingCheckpoint(let file):
            return "\(file): not a training checkpoint (no swiftpose_checkpoint metadata: a plain weights file cannot be resumed; use model.pretrained or swiftpose init)"
        case .resumeMismatch(let file, let reason):
            return "\(file): cannot resume: \(reason); nothing was written"
        case .pretrained(let file, let reason):
            return "model.pretrained \(file): \(reason)"
        }
    }
}
