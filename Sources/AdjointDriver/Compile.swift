import AdjointCodegen
import AdjointIR
import AdjointSema
import Foundation

/// `adjoint compile`: lowers the model's kernels and writes them as source files.
extension Commands {
    /// The languages `--emit` names.
    public enum EmitLanguage: String, Sendable {
        case c, swift
    }

    /// The generated files for one model, in memory, in writing order.
    /// With `blas`, large matrix products call `cblas_sgemm` or `cblas_dgemm` (`--blas`).
    public static func generateC(
        _ program: CheckedProgram, name: String, modelPath: String, precision: Precision, blas: Bool = false
    ) -> (files: [GeneratedFile], workspace: String) {
        let functions = CFunctionPrinter(name: name, precision: precision)
        let kernels = ModelKernels(
            program, name: name, modelPath: modelPath, options: CodegenOptions(blas: blas), render: { functions.functionBytes($0, statements: $1) })
        let printer = CPrinter(kernels, precision: precision, tool: "adjoint \(CommandLineInterface.version)")
        defer { ProcessLifetime.keep(printer) }
        return (
            [
                GeneratedFile(name: "\(name).h", text: printer.header()),
                GeneratedFile(name: "\(name).c", pieces: printer.sourcePieces(renderedFunctions: kernels.renderedKernels)),
            ],
            printer.workspaceDescription()
        )
    }

    /// The generated Swift for one model, in memory: `NAME.swift` with `public struct Name`.
    public static func generateSwift(_ program: CheckedProgram, name: String, modelPath: String, precision: Precision)
        -> (files: [GeneratedFile], workspace: String)
    {
        let kernels = ModelKernels(program, name: name, modelPath: modelPath)
        let tool = "adjoint \(CommandLineInterface.version)"
        let printer = SwiftPrinter(kernels, precision: precision, tool: tool)
        defer { ProcessLifetime.keep(printer) }
        let workspace = CPrinter(kernels, precision: precision, tool: tool).workspaceDescription()
        return ([GeneratedFile(name: "\(name).swift", text: printer.source())], workspace)
    }

    /// `adjoint compile MODEL.adj --emit c|swift [-o DIR] [--name NAME] [--precision float|double] [--blas]`:
    /// writes `NAME.h` and `NAME.c`, or `NAME.swift`, into `directory` (each whole or not at all)
    /// and prints the paths written and the workspace the kernels need. `blas` (C only) makes
    /// large matrix products CBLAS calls.
    /// Without `force`, a file in the way that adjoint did not generate from a model of this file
    /// name is not replaced (`OverwriteGuard`).
    public static func compile(
        path: String, emit: EmitLanguage, directory: String, name: String?, precision: Precision, blas: Bool = false,
        force: Bool = false
    ) -> CommandResult {
        guard !blas || emit == .c else {
            return .usage("compile: --blas needs --emit c (the Swift kernels call no BLAS)")
        }
        let identifier = name ?? modelIdentifier(path)
        guard isIdentifier(identifier), identifier.first != "_" else {
            return .usage("compile: --name needs a C identifier (letters, digits, '_', not starting with a digit or '_'), got '\(identifier)'")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                return .usage("compile: the output folder '\(directory)' is a file")
            }
            guard FileManager.default.isWritableFile(atPath: directory) else {
                return .usage("compile: cannot write to the output folder '\(directory)'")
            }
        }
        return withModel(path) { checked in
            // A missing folder is made, with its parents, as `swift build` makes its output
            // folders; only once the model has checked, so a broken model leaves no empty folder.
            if !FileManager.default.fileExists(atPath: directory) {
                do {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                } catch {
                    return .usage("compile: cannot create the output folder '\(directory)'")
                }
            }
            let (files, workspace) =
                emit == .c
                ? generateC(checked, name: identifier, modelPath: path, precision: precision, blas: blas)
                : generateSwift(checked, name: identifier, modelPath: path, precision: precision)
            let folder = URL(fileURLWithPath: directory)
            if !force {
                let refusals = files.compactMap { OverwriteGuard.refusal(folder.appendingPathComponent($0.name), modelPath: path) }
                guard refusals.isEmpty else {
                    return .usage(refusals.map { "compile: \($0)" }.joined(separator: "\nadjoint: error: "))
                }
            }
            switch AtomicWriter.write(files.map { (folder.appendingPathComponent($0.name), $0.pieces) }) {
            case .success(let written):
                let lines = written.map(\.path) + ["workspace: \(workspace)"]
                return CommandResult(output: lines.joined(separator: "\n") + "\n", status: 0)
            case .failure(let error):
                return .usage("compile: \(error.description)")
            }
        }
    }

    /// The model file's base name as a C identifier: `my-net.adj` gives `my_net`; one that starts
    /// with a digit or `_` gets `model` in front (`34_gmm.adj` gives `model_34_gmm`), since C keeps
    /// file-scope names that start with `_` (`_34_gmm_init`) for the implementation. The plugin
    /// (Plugins/AdjointPlugin/plugin.swift) repeats this rule to name the file before the tool runs.
    static func modelIdentifier(_ path: String) -> String {
        let base = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        var identifier = String(base.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? $0 : "_" })
        if identifier.isEmpty { identifier = "model" }
        if identifier.first!.isNumber { identifier = "model_" + identifier }
        if identifier.first == "_" { identifier = "model" + identifier }
        return identifier
    }

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}

/// A generated file in memory: its name and its text, as consecutive pieces of UTF-8.
public struct GeneratedFile: Sendable {
    public var name: String
    /// The text in pieces, written one after another: a large model's kernels are tens of
    /// megabytes each, and joining them, or making them a `String`, would copy them once more.
    public var pieces: [[UInt8]]

    public init(name: String, pieces: [[UInt8]]) {
        self.name = name
        self.pieces = pieces
    }

    public init(name: String, text: String) { self.init(name: name, pieces: [Array(text.utf8)]) }

    /// The whole text.
    public var text: String { String(decoding: pieces.joined(), as: UTF8.self) }
}
