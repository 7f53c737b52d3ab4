import AdjointSema
import AdjointSyntax
import Foundation

/// What a subcommand produced: text for standard output and standard error, and the exit status
/// of cli.md (0 success, 1 errors in the model file, 2 bad usage).
public struct CommandResult: Sendable, Equatable {
    public var output: String
    public var errors: String
    public var status: Int32

    public init(output: String = "", errors: String = "", status: Int32) {
        self.output = output
        self.errors = errors
        self.status = status
    }

    /// Bad usage: one clear line, exit 2.
    public static func usage(_ message: String) -> CommandResult {
        CommandResult(errors: "adjoint: error: \(message)\n", status: 2)
    }
}

/// The subcommands, as functions of their parsed options. The `adjoint` executable only parses
/// arguments and calls these, so tests run them in process.
public enum Commands {
    /// `adjoint derive MODEL.adj`: the forward program with every shape, the adjoint program,
    /// the closed-form gradients, values at the declared values and the flop counts.
    public static func derive(path: String, wrt: [String] = [], format: Derivation.Format = .text) -> CommandResult {
        let checked: CheckedProgram
        switch load(path) {
        case .success(let program): checked = program
        case .failure(let failure): return failure.result
        }
        if let unknown = wrt.first(where: { name in !checked.params.contains { $0.name == name } }) {
            return .usage("--wrt '\(unknown)' is not a param of \(path) (its params: \(checked.params.map(\.name).joined(separator: ", ")))")
        }
        return CommandResult(output: Derivation(path: path, program: checked, wrt: wrt).render(format), status: 0)
    }

    /// Why a command stopped before doing its work: the result to return.
    public struct Failure: Error {
        public var result: CommandResult
    }

    /// Reads and checks a model file: a usage error (exit 2) if it cannot be read, the
    /// diagnostics (exit 1) if it has errors.
    public static func load(_ path: String) -> Result<CheckedProgram, Failure> {
        let file: SourceFile
        switch ModelFileReader.read(path) {
        case .success(let read): file = read
        case .failure(let error): return .failure(Failure(result: .usage(error.description)))
        }
        let result = Frontend.check(file)
        guard let checked = result.checked else {
            return .failure(Failure(result: CommandResult(errors: result.renderedDiagnostics, status: 1)))
        }
        return .success(checked)
    }
}

/// Reads a model file, turning every way that can fail into a usage error that names the file.
public enum ModelFileReader {
    /// Why a model file could not be read.
    public struct ReadError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Files larger than this are refused before reading (a model file is a few kilobytes).
    public static let maxSize = 16 << 20

    public static func read(_ path: String) -> Result<SourceFile, ReadError> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failure(ReadError(description: "no such file '\(path)'"))
        }
        if isDirectory.boolValue {
            return .failure(ReadError(description: "'\(path)' is a directory, not a model file"))
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return .failure(ReadError(description: "cannot read '\(path)'"))
        }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: maxSize + 1) else {
            return .failure(ReadError(description: "cannot read '\(path)'"))
        }
        if data.count > maxSize {
            return .failure(ReadError(description: "'\(path)' is larger than \(maxSize >> 20) MiB; is it a model file?"))
        }
        return .success(SourceFile(path: path, bytes: [UInt8](data)))
    }
}
