// Locating and decoding the files in Tests/NNTests/Fixtures (written by Tools/fixtures/*.py).
import Foundation
import NN

enum NNFixtures {
    /// The URL of a file in Tests/NNTests/Fixtures.
    static func url(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name)
    }

    /// Decodes a JSON fixture into `T`.
    static func json<T: Decodable>(_ name: String, as _: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url(name)))
    }

    /// A fresh empty folder under the temporary directory; the caller removes it.
    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("NNTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The message of the `CheckpointError.malformed` that `body` throws, or nil when it returns.
    static func malformedMessage(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as CheckpointError {
            guard case .malformed = error else { return "not .malformed: \(error)" }
            return error.description
        } catch {
            return "unexpected error type: \(error)"
        }
    }
}
