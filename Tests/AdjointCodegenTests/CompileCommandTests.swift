import AdjointDriver
import Foundation
import Testing

/// `adjoint compile` on the command line: files written whole, exit codes of docs/cli.md.
@Suite struct CompileCommandTests {
    static let digits = Repository.url("samples/digits.adj").path

    func files(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    @Test func writesHeaderAndSourceAndPrintsThePaths() throws {
        let folder = try temporaryFolder("compile")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = CommandLineInterface.run(["compile", Self.digits, "--emit", "c", "-o", folder.path])
        #expect(result.status == 0, "\(result.errors)")
        #expect(files(folder) == ["digits.c", "digits.h"])
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.prefix(2) == [folder.appendingPathComponent("digits.h").path, folder.appendingPathComponent("digits.c").path])
        #expect(lines.last == "workspace: 424 * batch + 8192 bytes in 5 slots (step, float)")
        let source = try String(contentsOf: folder.appendingPathComponent("digits.c"), encoding: .utf8)
        #expect(source.contains("float digits_loss("))
    }

    @Test func nameAndPrecision() throws {
        let folder = try temporaryFolder("compile")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = CommandLineInterface.run([
            "compile", Self.digits, "--emit=c", "--output", folder.path, "--name", "net", "--precision", "double",
        ])
        #expect(result.status == 0, "\(result.errors)")
        #expect(files(folder) == ["net.c", "net.h"])
        let header = try String(contentsOf: folder.appendingPathComponent("net.h"), encoding: .utf8)
        #expect(header.contains("double net_step(net_params *p, net_state *s, const double *x"))
        #expect(header.contains("#ifndef ADJOINT_NET_H"))
    }

    /// A model file's name becomes an identifier: `my-net.adj` gives `my_net`.
    @Test func fileNameBecomesAnIdentifier() throws {
        let folder = try temporaryFolder("compile")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("my-net.adj")
        try "param w = 2\nloss = w * w\nminimize loss\n".write(to: model, atomically: true, encoding: .utf8)
        let result = CommandLineInterface.run(["compile", model.path, "--emit", "c", "-o", folder.path])
        #expect(result.status == 0, "\(result.errors)")
        #expect(files(folder) == ["my-net.adj", "my_net.c", "my_net.h"])
    }

    @Test(arguments: [
        (["compile", digits], "missing --emit c"),
        (["compile", digits, "--emit", "java"], "unknown language 'java'"),
        (["compile", digits, "--emit", "swift", "--name", "my-net"], "--name needs a C identifier"),
        (["compile", digits, "--emit", "c", "--precision", "half"], "unknown precision 'half'"),
        (["compile", digits, "--emit", "swift", "--blas"], "--blas needs --emit c"),
        (["compile", digits, "--emit", "c", "--name", "2fast"], "--name needs a C identifier"),
        (["compile", digits, "--emit", "c", "-o", digits], "the output folder '\(digits)' is a file"),
        (["compile", digits, "--emit", "c", "-o", digits + "/kernels"], "cannot create the output folder"),
        (["compile", digits, "--emit", "c", "-o", "/proc"], "cannot write '/proc/digits.h': "),
        (["compile", "/nonexistent.adj", "--emit", "c"], "no such file"),
    ] as [([String], String)])
    func badUsageExitsTwo(arguments: [String], message: String) {
        let result = CommandLineInterface.run(arguments)
        #expect(result.status == 2)
        #expect(result.output.isEmpty)
        #expect(result.errors.contains(message), "\(result.errors)")
    }

    /// A missing output folder is made with its parents, as `swift build` makes its own.
    @Test func missingOutputFolderIsCreated() throws {
        let folder = try temporaryFolder("compile")
        defer { try? FileManager.default.removeItem(at: folder) }
        let nested = folder.appendingPathComponent("build/kernels")
        let result = CommandLineInterface.run(["compile", Self.digits, "--emit", "c", "-o", nested.path])
        #expect(result.status == 0, "\(result.errors)")
        #expect(files(nested) == ["digits.c", "digits.h"])
    }

    /// A model with errors: the diagnostics, exit 1, and nothing written.
    @Test func modelErrorsWriteNothing() throws {
        let folder = try temporaryFolder("compile")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("broken.adj")
        try "param a = 1\nminimize a @ b\n".write(to: model, atomically: true, encoding: .utf8)
        let result = CommandLineInterface.run(["compile", model.path, "--emit", "c", "-o", folder.path])
        #expect(result.status == 1)
        #expect(result.errors.contains("[undeclared-name]"))
        #expect(files(folder) == ["broken.adj"])
        let missing = folder.appendingPathComponent("out")
        #expect(CommandLineInterface.run(["compile", model.path, "--emit", "c", "-o", missing.path]).status == 1)
        #expect(!FileManager.default.fileExists(atPath: missing.path))
    }

    /// A link planted at the name compile used to write its temporary to is neither followed
    /// nor replaced: the temporaries are new files (`O_EXCL | O_NOFOLLOW`) with unguessable names.
    @Test func plantedLinkAtATemporaryNameIsNotFollowed() throws {
        let folder = try temporaryFolder("compile")
        defer { try? FileManager.default.removeItem(at: folder) }
        let victim = folder.appendingPathComponent("victim.txt")
        try "keep me".write(to: victim, atomically: true, encoding: .utf8)
        for name in ["digits.h", "digits.c"] {
            try FileManager.default.createSymbolicLink(
                atPath: folder.appendingPathComponent(".\(name).\(getpid()).tmp").path, withDestinationPath: victim.path)
        }
        let result = CommandLineInterface.run(["compile", Self.digits, "--emit", "c", "-o", folder.path])
        #expect(result.status == 0, "\(result.errors)")
        #expect(try String(contentsOf: victim, encoding: .utf8) == "keep me")
        let header = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("digits.h").path)
        #expect(header[.type] as? FileAttributeType == .typeRegular)
        #expect(files(folder) == [".digits.c.\(getpid()).tmp", ".digits.h.\(getpid()).tmp", "digits.c", "digits.h", "victim.txt"])
    }

    /// `digits.c` cannot be written (a folder is in the way): nothing is replaced, the message
    /// says why, and no temporary is left.
    @Test func oneUnwritableOutputReplacesNothing() throws {
        let folder = try temporaryFolder("compile")
        defer { try? FileManager.default.removeItem(at: folder) }
        try "old header".write(to: folder.appendingPathComponent("digits.h"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("digits.c"), withIntermediateDirectories: false)
        // --force: the header in the way is not adjoint's, and the folder must still stop the write.
        let result = CommandLineInterface.run(["compile", Self.digits, "--emit", "c", "-o", folder.path, "--force"])
        #expect(result.status == 2)
        #expect(result.errors.contains("cannot write '\(folder.appendingPathComponent("digits.c").path)': Is a directory"), "\(result.errors)")
        #expect(try String(contentsOf: folder.appendingPathComponent("digits.h"), encoding: .utf8) == "old header")
        #expect(files(folder) == ["digits.c", "digits.h"])
    }

    /// A file in the way that adjoint did not write (the user's own `main.c` beside `main.adj`),
    /// or that it wrote from another model whose name maps to the same identifier (`my-model.adj`
    /// and `my_model.adj`), is not replaced without `--force`; its own earlier output is.
    @Test func filesAdjointDidNotWriteAreReplacedOnlyWithForce() throws {
        let folder = try temporaryFolder("compile")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try String(contentsOfFile: Self.digits, encoding: .utf8)
        for name in ["main.adj", "my-model.adj", "my_model.adj"] {
            try model.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let own = "int main(void) { return 0; }\n"
        try own.write(to: folder.appendingPathComponent("main.c"), atomically: true, encoding: .utf8)
        let main = folder.appendingPathComponent("main.adj").path
        let refused = CommandLineInterface.run(["compile", main, "--emit", "c", "-o", folder.path])
        #expect(refused.status == 2)
        #expect(refused.errors.contains("'\(folder.appendingPathComponent("main.c").path)' exists and was not written by adjoint"), "\(refused.errors)")
        #expect(try String(contentsOf: folder.appendingPathComponent("main.c"), encoding: .utf8) == own)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("main.h").path))
        let forced = CommandLineInterface.run(["compile", main, "--emit", "c", "-o", folder.path, "--force"])
        #expect(forced.status == 0, "\(forced.errors)")
        #expect(try String(contentsOf: folder.appendingPathComponent("main.c"), encoding: .utf8) != own)
        // Its own output is replaced again without --force.
        #expect(CommandLineInterface.run(["compile", main, "--emit", "c", "-o", folder.path]).status == 0)

        let out = folder.appendingPathComponent("out").path
        #expect(CommandLineInterface.run(["compile", folder.appendingPathComponent("my-model.adj").path, "--emit", "swift", "-o", out]).status == 0)
        let colliding = CommandLineInterface.run(["compile", folder.appendingPathComponent("my_model.adj").path, "--emit", "swift", "-o", out])
        #expect(colliding.status == 2)
        #expect(colliding.errors.contains("was generated from '\(folder.appendingPathComponent("my-model.adj").path)'"), "\(colliding.errors)")
        #expect(colliding.errors.contains("choose another --name or -o"))
    }

    /// Temporaries that a killed compile left (`kill -9` cannot be caught) are removed by the next
    /// compile into the folder; a live process's are not.
    @Test func staleTemporariesAreRemovedByTheNextCompile() throws {
        let folder = try temporaryFolder("compile")
        defer { try? FileManager.default.removeItem(at: folder) }
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/sh")
        ended.arguments = ["-c", "true"]
        try ended.run()
        ended.waitUntilExit()
        let dead = ended.processIdentifier
        let live = ".digits.c.\(getpid()).5.tmp"
        for name in [".digits.c.\(dead).tmp", ".digits.h.\(dead).3f.tmp", live] {
            try "partial".write(to: folder.appendingPathComponent(name), atomically: false, encoding: .utf8)
        }
        let result = CommandLineInterface.run(["compile", Self.digits, "--emit", "c", "-o", folder.path])
        #expect(result.status == 0, "\(result.errors)")
        #expect(files(folder) == [live, "digits.c", "digits.h"])
    }

    @Test func help() {
        let result = CommandLineInterface.run(["compile", "--help"])
        #expect(result.status == 0)
        #expect(result.output.contains("usage: adjoint compile MODEL.adj --emit c|swift"))
        #expect(CommandLineInterface.run(["--help"]).output.contains("compile"))
    }
}
