import AdjointDriver
import Foundation
import Testing

@Suite struct CommandLineTests {
    private let digits = Repository.url("samples/digits.adj").path

    @Test func helpAndVersion() {
        #expect(CommandLineInterface.run(["--help"]).status == 0)
        #expect(CommandLineInterface.run(["--help"]).output.contains("derive"))
        #expect(CommandLineInterface.run(["derive", "--help"]).output.contains("usage: adjoint derive"))
        #expect(CommandLineInterface.run(["--version"]).output.hasPrefix("adjoint "))
    }

    @Test func successExitsZero() {
        let result = CommandLineInterface.run(["derive", digits])
        #expect(result.status == 0)
        #expect(result.errors.isEmpty)
    }

    @Test(arguments: [
        ([], "usage: adjoint SUBCOMMAND"),
        (["frobnicate"], "unknown subcommand 'frobnicate'"),
        (["derive"], "missing the model file"),
        (["derive", "--fast", "x.adj"], "unknown option '--fast'"),
        (["derive", "a.adj", "b.adj"], "expected one model file, got 2"),
        (["derive", "/nonexistent/model.adj"], "no such file"),
        (["derive", "/tmp"], "is a directory"),
    ] as [([String], String)])
    func badUsageExitsTwo(arguments: [String], message: String) {
        let result = CommandLineInterface.run(arguments)
        #expect(result.status == 2)
        #expect(result.output.isEmpty)
        #expect(result.errors.contains(message), "\(result.errors)")
    }

    /// Files that are no model at all: one line naming the file, exit 2, for every subcommand.
    @Test func emptyBinaryAndUnreadableFilesExitTwo() throws {
        let empty = try TemporaryFile("", suffix: ".adj")
        let binaryURL = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-\(UUID().uuidString).adj")
        try Data([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00]).write(to: binaryURL)
        defer { try? FileManager.default.removeItem(at: binaryURL) }
        let unreadable = try TemporaryFile("param a = 1\nminimize a\n", suffix: ".adj")
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: unreadable.path)
        let cases = [(empty.path, "is empty"), (binaryURL.path, "is a binary file")]
            // Root reads any file whatever its permissions; the check only means something for others.
            + (getuid() == 0 ? [] : [(unreadable.path, "cannot read")])
        for (path, message) in cases {
            for subcommand in [["derive"], ["check"], ["graph"], ["eval", "--values", "v.json"]] {
                let result = CommandLineInterface.run([subcommand[0], path] + subcommand.dropFirst())
                #expect(result.status == 2, "\(subcommand) \(path)")
                #expect(result.errors.contains(message), "\(result.errors)")
                #expect(result.errors.split(separator: "\n").count == 1)
            }
        }
    }

    @Test func modelErrorsExitOneWithLocatedDiagnostics() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-cli-\(UUID().uuidString).adj")
        try "param a = 1\nminimize a @ b\n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let result = CommandLineInterface.run(["derive", url.path])
        #expect(result.status == 1)
        #expect(result.output.isEmpty)
        #expect(result.errors.hasPrefix("\(url.path):2:14: error: 'b' is not declared [undeclared-name]\n"))
        #expect(result.errors.contains("minimize a @ b\n             ^\n"))
    }
}
