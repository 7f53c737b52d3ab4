import AdjointDriver
import Foundation
import Testing

/// The texts a stream was handed, one entry per call.
private final class StreamedPieces: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    func append(_ text: String) { lock.withLock { stored.append(text) } }
    var pieces: [String] { lock.withLock { stored } }
}

/// How diagnostics reach the user: bounded by the error limit whatever the input, streamed as
/// they are rendered, and warnings that change nothing else.
@Suite struct DiagnosticOutputTests {
    /// `loss = 1e999 + 1e999 + ...` with `terms` out-of-range numbers on one line.
    private func flood(terms: Int, digits: Int = 100) throws -> TemporaryFile {
        let number = String(repeating: "9", count: digits) + "e999"
        let sum = Array(repeating: number, count: terms).joined(separator: " + ")
        return try TemporaryFile("param a = 1\nloss = \(sum)\nminimize a\n", suffix: ".adj")
    }

    private func errorLines(_ text: String) -> Int {
        text.split(separator: "\n").filter { $0.contains(": error: ") && !$0.hasPrefix("adjoint:") }.count
    }

    private let tooMany = "adjoint: error: too many errors emitted, stopping now"

    /// The report of issue 14: 1,492 errors on a 159 KB line printed 354 MB.
    @Test func aFloodOfErrorsOnOneLongLineStopsAtTheLimit() throws {
        let model = try flood(terms: 1492)
        let result = CommandLineInterface.run(["derive", model.path])
        #expect(result.status == 1)
        #expect(result.output.isEmpty)
        #expect(result.errors.utf8.count < 20_000)
        #expect(errorLines(result.errors) == 20)
        #expect(result.errors.hasSuffix(tooMany + " (limit 20; --error-limit 0 shows every error)\n"))
    }

    @Test func errorLimitFlagSetsTheLimitAndZeroMeansNone() throws {
        let model = try flood(terms: 50, digits: 1)
        let three = CommandLineInterface.run(["derive", model.path, "--error-limit", "3"])
        #expect(three.status == 1)
        #expect(errorLines(three.errors) == 3)
        #expect(three.errors.contains(tooMany))
        let all = CommandLineInterface.run(["derive", model.path, "--error-limit=0"])
        #expect(errorLines(all.errors) == 50)
        #expect(!all.errors.contains(tooMany))
        // Exactly as many errors as the limit: nothing was left out, so nothing says so.
        let exact = CommandLineInterface.run(["derive", model.path, "--error-limit", "50"])
        #expect(errorLines(exact.errors) == 50)
        #expect(!exact.errors.contains(tooMany))
    }

    @Test(arguments: ["-1", "x", "1.5", ""])
    func badErrorLimitIsAUsageError(value: String) throws {
        let model = try flood(terms: 2, digits: 1)
        let result = CommandLineInterface.run(["derive", model.path, "--error-limit", value])
        #expect(result.status == 2)
        #expect(result.errors.contains("--error-limit needs a non-negative integer"), "\(result.errors)")
    }

    /// Every subcommand reads a model file, so every one takes the limit.
    @Test(arguments: [
        ["derive"], ["eval", "--values", "v.json"], ["check"], ["graph"], ["compile", "--emit", "c"],
        ["fit", "--data", "d.csv"],
    ])
    func everySubcommandTakesTheErrorLimit(subcommand: [String]) throws {
        let model = try flood(terms: 5, digits: 1)
        let result = CommandLineInterface.run([subcommand[0], model.path] + subcommand.dropFirst() + ["--error-limit", "1"])
        #expect(result.status == 1, "\(result.errors)")
        #expect(errorLines(result.errors) == 1)
        #expect(result.errors.contains(tooMany))
        #expect(CommandLineInterface.run([subcommand[0], "--help"]).output.contains("--error-limit N"))
    }

    /// A megabyte of stray characters on one line: every diagnostic quotes a window of the line,
    /// so even with no limit each stays a few hundred bytes.
    @Test func strayCharactersOnAHugeLineStayBounded() throws {
        let model = try TemporaryFile("param a = 1\nb = " + String(repeating: "$", count: 1 << 20) + "\nminimize a\n", suffix: ".adj")
        let limited = CommandLineInterface.run(["derive", model.path])
        #expect(limited.status == 1)
        #expect(limited.errors.utf8.count < 10_000)
        #expect(errorLines(limited.errors) == 20)
        let small = try TemporaryFile("param a = 1\nb = " + String(repeating: "$", count: 20_000) + "\nminimize a\n", suffix: ".adj")
        let all = CommandLineInterface.run(["derive", small.path, "--error-limit", "0"])
        #expect(errorLines(all.errors) == 20_000)
        #expect(all.errors.utf8.count < 20_000 * 400)
    }

    /// With a stream, each diagnostic goes out as it is rendered and none is held for the result.
    @Test func diagnosticsAreStreamedOneByOne() throws {
        let model = try flood(terms: 30, digits: 1)
        let streamed = StreamedPieces()
        let result = CommandLineInterface.run(["derive", model.path]) { streamed.append($0) }
        #expect(result.status == 1)
        #expect(result.errors.isEmpty)
        #expect(streamed.pieces.count == 21)
        #expect(streamed.pieces.prefix(20).allSatisfy { $0.contains(": error: number '9e999' is too large") })
        #expect(streamed.pieces.last?.hasPrefix(tooMany) == true)
    }
}

/// A param the loss does not use: a warning at its declaration, and everything else unchanged.
@Suite struct UnusedParamCommandTests {
    private let text = "param w = 1\nparam v: [2] = 0.5\nloss = w * w\nminimize loss\n"

    @Test func deriveWarnsAndStillSucceeds() throws {
        let model = try TemporaryFile(text, suffix: ".adj")
        let result = CommandLineInterface.run(["derive", model.path])
        #expect(result.status == 0)
        #expect(
            result.errors == """
                \(model.path):2:7: warning: param 'v' does not affect the loss 'loss'; its gradient is always zero [unused-param]
                param v: [2] = 0.5
                      ^

                """)
        #expect(result.output.contains("∂loss/∂w"))
        #expect(result.output.contains("∂loss/∂v"))
    }

    @Test func checkCompileAndFitWarnToo() throws {
        let model = try TemporaryFile(text, suffix: ".adj")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        for arguments in [["check"], ["compile", "--emit", "c", "-o", folder.path], ["graph"]] {
            let result = CommandLineInterface.run([arguments[0], model.path] + arguments.dropFirst())
            #expect(result.status == 0, "\(arguments) \(result.errors)")
            #expect(result.errors.hasPrefix("\(model.path):2:7: warning: param 'v'"), "\(arguments)")
            #expect(!result.output.isEmpty)
        }
        // fit stops at its data file, after the model loaded: the warning comes before that error.
        let fit = CommandLineInterface.run(["fit", model.path, "--data", "/nonexistent.csv"])
        #expect(fit.status == 2)
        #expect(fit.errors.hasPrefix("\(model.path):2:7: warning: param 'v'"), "\(fit.errors)")
    }

    @Test func warningsAreStreamedToo() throws {
        let model = try TemporaryFile(text, suffix: ".adj")
        let streamed = StreamedPieces()
        let result = CommandLineInterface.run(["derive", model.path]) { streamed.append($0) }
        #expect(result.status == 0)
        #expect(result.errors.isEmpty)
        #expect(streamed.pieces.count == 1)
        #expect(streamed.pieces.first?.contains("warning: param 'v'") == true)
    }
}
