// The built-in synthetic dataset on disk, in COCO layout (DESIGN §3 "Data root"):
//   DIR/annotations/person_keypoints_{train,val}2017.json
//   DIR/{train,val}2017/%012d.jpg
// Written into a hidden temporary sibling of DIR and renamed into place at the end, so DIR is either
// the complete old content or the complete new dataset. Same options → byte-identical files.
import Dispatch
import Foundation

/// What to generate.
public struct SynthOptions: Sendable {
    public var trainCount = 2000
    public var valCount = 200
    public var seed: UInt64 = 0
    /// JPEG quality of the written images.
    public var jpegQuality = 92

    public init(trainCount: Int = 2000, valCount: Int = 200, seed: UInt64 = 0) {
        self.trainCount = trainCount
        self.valCount = valCount
        self.seed = seed
    }
}

/// Counts of what `writeSynthDataset` wrote.
public struct SynthSummary: Sendable, Equatable {
    public var images: [SynthSplit: Int] = [:]
    public var people: [SynthSplit: Int] = [:]
}

/// Why the synthetic dataset could not be written.
public enum SynthError: Error, CustomStringConvertible {
    /// The output folder exists and is not empty, and `force` was not given.
    case outputNotEmpty(path: String)
    /// The output path exists and is a file.
    case outputIsFile(path: String)
    /// A file system operation failed.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .outputNotEmpty(path):
            return "\(path): output folder is not empty; pass --force to replace it"
        case let .outputIsFile(path):
            return "\(path): output path is a file, expected a folder"
        case let .io(path, reason):
            return "\(path): \(reason)"
        }
    }
}

/// The COCO `categories` entry of the person class with the 17 COCO keypoints and a 1-based skeleton.
public func cocoPersonCategory(metainfo: KeypointMetainfo = .coco) -> CocoCategory {
    CocoCategory(id: 1, name: "person", keypoints: metainfo.jointNames,
                 skeleton: metainfo.skeleton.map { [$0.0 + 1, $0.1 + 1] })
}

/// Renders and writes the synthetic dataset to `dir` (see the file header for the layout).
/// - Parameters:
///   - force: replace an existing non-empty `dir`; without it such a `dir` is an error.
///   - progress: called with one-line status messages.
public func writeSynthDataset(to dir: URL, options: SynthOptions, force: Bool = false,
                              progress: (String) -> Void = { _ in }) throws -> SynthSummary {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    let exists = fm.fileExists(atPath: dir.path, isDirectory: &isDir)
    if exists && !isDir.boolValue { throw SynthError.outputIsFile(path: dir.path) }
    if exists && !force, let contents = try? fm.contentsOfDirectory(atPath: dir.path), !contents.isEmpty {
        throw SynthError.outputNotEmpty(path: dir.path)
    }
    let parent = dir.deletingLastPathComponent()
    let tmp = parent.appendingPathComponent(".\(dir.lastPathComponent).tmp-\(getpid())")
    func io<T>(_ path: URL, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as ImageError { throw error } catch {
            throw SynthError.io(path: path.path, reason: (error as NSError).localizedDescription)
        }
    }
    try? fm.removeItem(at: tmp)
    try io(tmp) { try fm.createDirectory(at: tmp.appendingPathComponent("annotations"), withIntermediateDirectories: true) }
    var summary = SynthSummary()
    do {
        for split in SynthSplit.allCases {
            let count = split == .train ? options.trainCount : options.valCount
            let folder = tmp.appendingPathComponent("\(split.rawValue)2017")
            try io(folder) { try fm.createDirectory(at: folder, withIntermediateDirectories: true) }
            let file = try writeSplit(split, count: count, folder: folder, options: options)
            let json = tmp.appendingPathComponent("annotations/person_keypoints_\(split.rawValue)2017.json")
            try io(json) { try encodeSynthAnnotations(file).write(to: json) }
            summary.images[split] = file.images.count
            summary.people[split] = file.annotations.count
            progress("\(split.rawValue): \(file.images.count) images, \(file.annotations.count) people")
        }
        if exists { try io(dir) { try fm.removeItem(at: dir) } }
        try io(dir) { try fm.moveItem(at: tmp, to: dir) }
    } catch {
        try? fm.removeItem(at: tmp)
        throw error
    }
    return summary
}

/// Renders `count` images of a split in parallel, writes their JPEGs, and returns the split's COCO file.
private func writeSplit(_ split: SynthSplit, count: Int, folder: URL, options: SynthOptions) throws -> CocoKeypointFile {
    var images = [CocoImage?](repeating: nil, count: count)
    var annotations = [[CocoAnnotation]](repeating: [], count: count)
    var failures = [Error?](repeating: nil, count: count)
    images.withUnsafeMutableBufferPointer { imageSlots in
        annotations.withUnsafeMutableBufferPointer { annotationSlots in
            failures.withUnsafeMutableBufferPointer { failureSlots in
                // Each iteration writes only its own slot, so the buffers are shared safely.
                DispatchQueue.concurrentPerform(iterations: count) { i in
                    let sample = renderSynthImage(seed: options.seed, split: split, index: i)
                    let id = split.imageId(index: i)
                    let name = String(format: "%012d.jpg", id)
                    do {
                        try writeImage(sample.image, to: folder.appendingPathComponent(name),
                                       jpegQuality: options.jpegQuality)
                        imageSlots[i] = CocoImage(id: id, fileName: name, width: sample.image.width,
                                                  height: sample.image.height)
                        annotationSlots[i] = sample.annotations
                    } catch {
                        failureSlots[i] = error
                    }
                }
            }
        }
    }
    if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
    return CocoKeypointFile(images: images.compactMap { $0 }, annotations: annotations.flatMap { $0 },
                            categories: [cocoPersonCategory()])
}

/// JSON bytes of a split: `info`, `licenses`, `images`, `annotations`, `categories`, keys sorted.
func encodeSynthAnnotations(_ file: CocoKeypointFile) throws -> Data {
    struct Info: Encodable {
        let description = "SwiftPose synthetic people (swiftpose synth)"
        let version = "1.0"
    }
    struct Output: Encodable {
        let info = Info()
        let licenses: [String] = []
        let images: [CocoImage]
        let annotations: [CocoAnnotation]
        let categories: [CocoCategory]
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return try encoder.encode(Output(images: file.images, annotations: file.annotations, categories: file.categories))
}
