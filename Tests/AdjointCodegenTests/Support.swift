import AdjointIR
import AdjointInterpreter
import AdjointSema
import AdjointSyntax
import Foundation
import Testing

/// Paths in the repository, found from this file's location so tests run from any folder.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// The `.adj` files directly in `samples/`, sorted by name.
    static var samples: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url("samples").path)) ?? []
        return names.filter { $0.hasSuffix(".adj") }.sorted().map { "samples/\($0)" }
    }
}

/// Parses and checks a model held in memory; fails the test on any diagnostic.
func checkedProgram(_ text: String, path: String = "t.adj") throws -> CheckedProgram {
    let (program, parse) = Parser.parse(SourceFile(path: path, text: text))
    let (checked, diagnostics) = Checker.check(program)
    #expect(parse.isEmpty && diagnostics.isEmpty, "\(parse + diagnostics)")
    return try #require(checked)
}

extension SplitMix64 {
    /// Uniform in [low, high).
    mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniform() }

    /// A tensor of uniform draws.
    mutating func tensor(_ sizes: [Int], _ low: Double, _ high: Double) -> Tensor {
        Tensor(sizes: sizes, scalars: (0..<sizes.reduce(1, *)).map { _ in uniform(low, high) })
    }
}

/// ‖a − b‖∞ / max(‖a‖∞, ‖b‖∞, 1e-3): relative to the tensor's scale, absolute for tiny tensors.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    guard a.count == b.count else { return .infinity }
    let difference = zip(a, b).map { $0 == $1 ? 0 : abs($0 - $1) }.max() ?? 0
    let scale = max(a.map(abs).max() ?? 0, b.map(abs).max() ?? 0, 1e-3)
    return difference.isNaN ? .infinity : difference / scale
}

/// Runs a program and returns its exit status and standard output and error.
func run(_ executable: String, _ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: String, errors: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    // Standard error goes to a file, so that the child never blocks on a full pipe we are not reading.
    let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errorFile) }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = try FileHandle(forWritingTo: errorFile)
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errors = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
    return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), errors)
}

/// A fresh temporary folder.
func temporaryFolder(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
