// Whole-file reads and atomic writes (temporary file + fsync + rename) with one-line POSIX errors.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

enum FileIO {
    /// The file's bytes; throws `CheckpointError.io` naming the file and the OS reason.
    static func readAll(_ url: URL) throws -> [UInt8] {
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError(errno, path, "cannot open") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ioError(errno, path, "cannot stat") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw CheckpointError.io(file: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while done < size {
                let n = read(fd, buffer.baseAddress! + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ioError(errno, path, "cannot read")
                }
                if n == 0 { break }  // the file shrank while reading
                done += n
            }
        }
        if done < size { bytes.removeLast(size - done) }
        return bytes
    }

    /// Writes `bytes` to `url` atomically: a temporary file in the same folder is written, fsynced and
    /// renamed over `url`, so readers see the old file or the whole new one, never a part.
    static func writeAtomically(_ bytes: [UInt8], to url: URL) throws {
        let path = url.path
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ioError(errno, path, "cannot create \(temporary)") }
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        do {
            var done = 0
            try bytes.withUnsafeBytes { buffer in
                while done < buffer.count {
                    let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw ioError(errno, path, "cannot write \(temporary)")
                    }
                    done += n
                }
            }
            guard fsync(fd) == 0 else { throw ioError(errno, path, "cannot fsync \(temporary)") }
            closed = true
            guard close(fd) == 0 else { throw ioError(errno, path, "cannot close \(temporary)") }
            guard rename(temporary, path) == 0 else { throw ioError(errno, path, "cannot rename \(temporary) into place") }
        } catch {
            unlink(temporary)
            throw error
        }
        // Make the rename itself durable; failure here leaves a complete file, so it is not an error.
        let dir = open(folder.isEmpty ? "." : folder, O_RDONLY | O_CLOEXEC)
        if dir >= 0 {
            _ = fsync(dir)
            close(dir)
        }
    }

    /// `code` comes first so that `errno` is read before the other arguments are built.
    private static func ioError(_ code: Int32, _ path: String, _ what: String) -> CheckpointError {
        CheckpointError.io(file: path, reason: "\(what): \(String(cString: strerror(code)))")
    }
}
