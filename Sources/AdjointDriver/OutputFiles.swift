import Foundation

#if canImport(Glibc)
import Glibc
/// `write(2)` and `signal(3)` under names the types below do not shadow.
private let systemWrite = Glibc.write
private let systemSignal = Glibc.signal
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
private let systemSignal = Darwin.signal
#endif

/// Why a file could not be written: the path and the system's reason (`No space left on device`).
struct WriteError: Error, CustomStringConvertible {
    var description: String

    /// "cannot write 'PATH': REASON", the reason being `code`'s text (errno's).
    static func system(_ path: String, _ code: Int32) -> WriteError {
        WriteError(description: "cannot write '\(path)': \(String(cString: strerror(code)))")
    }
}

/// Writes several files so that each appears whole or not at all, and all of them or none of the
/// ones that could fail: every file goes to its own new temporary file beside its destination
/// (`.NAME.PID.RANDOM.tmp`, created with `O_CREAT | O_EXCL | O_NOFOLLOW`, so a file or link
/// planted at that name is never opened, let alone followed), and only when all are written and
/// closed are they renamed into place. A temporary is removed if the process is interrupted
/// (`SIGINT`, `SIGTERM`, `SIGHUP`), and one left by a process that died (`kill -9`) is removed by
/// the next write into the same folder.
enum AtomicWriter {
    static func write(_ files: [(url: URL, pieces: [[UInt8]])]) -> Result<[URL], WriteError> {
        var temporaries: [(path: String, token: Int?)] = []
        func cleanUp() {
            for temporary in temporaries {
                unlink(temporary.path)
                SignalCleanup.unregister(temporary.token)
            }
        }
        for (url, _) in files {
            removeStaleTemporaries(of: url)
            // Refused before anything is written: renaming a file onto a folder fails, and it
            // would fail only after the files before it were already replaced.
            var status = stat()
            if lstat(url.path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
                return .failure(.system(url.path, EISDIR))
            }
        }
        for (url, pieces) in files {
            switch createTemporary(for: url) {
            case .failure(let error):
                cleanUp()
                return .failure(error)
            case .success(let (descriptor, path, token)):
                temporaries.append((path, token))
                var code: Int32 = 0
                for piece in pieces where code == 0 { code = writeAll(descriptor, piece) }
                // close reports what a delayed write could not do (a full disk on NFS, /dev/full).
                if close(descriptor) != 0 && code == 0 { code = errno }
                if code != 0 {
                    cleanUp()
                    return .failure(.system(url.path, code))
                }
            }
        }
        for (temporary, file) in zip(temporaries, files) {
            guard rename(temporary.path, file.url.path) == 0 else {
                let code = errno
                cleanUp()
                return .failure(.system(file.url.path, code))
            }
        }
        for temporary in temporaries { SignalCleanup.unregister(temporary.token) }
        return .success(files.map(\.url))
    }

    /// One file's bytes, whole or not at all.
    static func write(_ data: Data, to path: String) -> Result<Void, WriteError> {
        write([(URL(fileURLWithPath: path), [[UInt8](data)])]).map { _ in () }
    }

    /// The prefix and suffix of `url`'s temporaries: `.NAME.` and `.tmp`.
    static func temporaryAffixes(of url: URL) -> (prefix: String, suffix: String) {
        (".\(url.lastPathComponent).", ".tmp")
    }

    /// A new file beside `url` that nothing else has opened: its descriptor, path and cleanup token.
    private static func createTemporary(for url: URL) -> Result<(Int32, String, Int?), WriteError> {
        let folder = url.deletingLastPathComponent()
        let (prefix, suffix) = temporaryAffixes(of: url)
        let pid = getpid()
        var generator = SystemRandomNumberGenerator()
        // A name taken (by a planted file or link, or a crashed run with our PID) is skipped, not opened.
        for _ in 0..<64 {
            let random = String(generator.next() & 0xFFFF_FFFF, radix: 16)
            let path = folder.appendingPathComponent("\(prefix)\(pid).\(random)\(suffix)").path
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
            if descriptor >= 0 { return .success((descriptor, path, SignalCleanup.register(path))) }
            guard errno == EEXIST else { return .failure(.system(url.path, errno)) }
        }
        return .failure(WriteError(description: "cannot write '\(url.path)': every temporary name beside it is taken"))
    }

    /// Writes all of `bytes`; 0, or errno's code.
    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += count
            }
            return 0
        }
    }

    /// Deletes the temporaries of `url` (`.NAME.PID.*.tmp`) whose process has ended: what a run
    /// killed while writing left behind. Live processes' temporaries are left alone.
    static func removeStaleTemporaries(of url: URL) {
        let folder = url.deletingLastPathComponent()
        let (prefix, suffix) = temporaryAffixes(of: url)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(suffix) && name.count > prefix.count + suffix.count {
            let middle = name.dropFirst(prefix.count).dropLast(suffix.count)
            guard let pid = pid_t(middle.prefix { $0 != "." }), ProcessLiveness.hasEnded(pid) else { continue }
            let path = folder.appendingPathComponent(name).path
            var status = stat()
            // A folder of that name is not ours to delete; a file or a link is removed itself (unlink never follows).
            if lstat(path, &status) == 0 && (status.st_mode & S_IFMT) != S_IFDIR { unlink(path) }
        }
    }
}

/// Whether a process is gone, for deciding which temporaries are stale.
enum ProcessLiveness {
    /// True when no process has id `pid`. Another user's process (EPERM) counts as alive.
    static func hasEnded(_ pid: pid_t) -> Bool {
        guard pid > 0, pid != getpid() else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}

/// The temporary files and folders to delete if `SIGINT`, `SIGTERM` or `SIGHUP` ends the process,
/// and a child process (the C compiler) to stop with it. The handler then restores the default
/// action and raises the signal again, so the exit status still says which signal it was.
///
/// A signal handler may only call async-signal-safe functions, so the paths are copied into
/// fixed slots allocated once, and the handler only reads them and calls `unlink`, `rmdir`,
/// `kill`, `signal` and `raise`.
enum SignalCleanup {
    static let slotCount = 64
    static let slotSize = Int(PATH_MAX) + 1
    /// 0 free, 1 a file, 2 a folder (removed after the files, once they are gone).
    nonisolated(unsafe) private static let kinds: UnsafeMutablePointer<Int32> = {
        let kinds = UnsafeMutablePointer<Int32>.allocate(capacity: slotCount)
        kinds.initialize(repeating: 0, count: slotCount)
        return kinds
    }()
    nonisolated(unsafe) private static let paths: UnsafeMutablePointer<CChar> = {
        let paths = UnsafeMutablePointer<CChar>.allocate(capacity: slotCount * slotSize)
        paths.initialize(repeating: 0, count: slotCount * slotSize)
        return paths
    }()
    nonisolated(unsafe) private static var child: pid_t = 0
    private static let lock = NSLock()
    private static let installed: Bool = {
        var handled = sigset_t()
        sigemptyset(&handled)
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            install(signal)
            sigaddset(&handled, signal)
        }
        // A mask inherited from the parent (Foundation's Process passes on the blocked signals of
        // the dispatch thread that starts it) would hold these signals pending, and the cleanup
        // with them; this thread, the one writing the temporaries, takes them.
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
        return true
    }()

    /// Remembers `path` for deletion on a signal; the token unregisters it. Nil when every slot
    /// is taken or the path is too long (the file is then only removed by the next run).
    static func register(_ path: String, folder: Bool = false) -> Int? {
        _ = installed
        let bytes = Array(path.utf8)
        guard bytes.count < slotSize, !bytes.contains(0) else { return nil }
        lock.lock()
        defer { lock.unlock() }
        guard let slot = (0..<slotCount).first(where: { kinds[$0] == 0 }) else { return nil }
        let start = paths + slot * slotSize
        for (index, byte) in bytes.enumerated() { start[index] = CChar(bitPattern: byte) }
        start[bytes.count] = 0
        // Published last: the handler never sees a half-copied path.
        kinds[slot] = folder ? 2 : 1
        return slot
    }

    /// Forgets a path: it was renamed into place or deleted.
    static func unregister(_ token: Int?) {
        guard let token else { return }
        lock.lock()
        defer { lock.unlock() }
        kinds[token] = 0
    }

    /// The child process to stop on a signal (0: none).
    static func setChild(_ pid: pid_t) {
        _ = installed
        child = pid
    }

    private static func install(_ number: Int32) {
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = handleSignal
        #else
        action.__sigaction_u.__sa_handler = handleSignal
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        var previous = sigaction()
        // A signal the caller chose to ignore (nohup, a shell's background job) stays ignored.
        guard sigaction(number, nil, &previous) == 0 else { return }
        #if canImport(Glibc)
        let ignored = unsafeBitCast(previous.__sigaction_handler.sa_handler, to: Int.self) == 1  // SIG_IGN
        #else
        let ignored = unsafeBitCast(previous.__sigaction_u.__sa_handler, to: Int.self) == 1
        #endif
        if !ignored { sigaction(number, &action, nil) }
    }

    /// Deletes what is registered, stops the child, and dies of the same signal.
    fileprivate static func cleanUpAndRaise(_ number: Int32) {
        if child > 0 { kill(child, SIGTERM) }
        for kind: Int32 in [1, 2] {
            for slot in 0..<slotCount where kinds[slot] == kind {
                let path = paths + slot * slotSize
                if kind == 1 { unlink(path) } else { rmdir(path) }
            }
        }
        _ = systemSignal(number, SIG_DFL)
        raise(number)
    }
}

/// The handler `SignalCleanup` installs (a C function pointer captures nothing).
private func handleSignal(_ number: Int32) {
    SignalCleanup.cleanUpAndRaise(number)
}
