@testable import AdjointDriver
import Foundation
import Testing

/// What the tool writes: temporaries that follow no planted link, outputs all or nothing with
/// the system's reason on failure, cleanup after signals and after runs that were killed, and
/// fit's refusal of outputs that would destroy an input, checked before any training.
@Suite struct OutputFileTests {
    /// The id of a process that has ended (a `true` that ran to the end).
    static func deadPID() throws -> pid_t {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "true"]
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test func writeFailuresSayWhy() throws {
        let scratch = try FitScratch()
        try FileManager.default.createDirectory(atPath: scratch.path("folder"), withIntermediateDirectories: false)
        guard case .failure(let error) = AtomicWriter.write(Data("x".utf8), to: scratch.path("folder")) else {
            Issue.record("writing over a folder succeeded")
            return
        }
        #expect(error.description == "cannot write '\(scratch.path("folder"))': Is a directory")
        guard case .failure(let missing) = AtomicWriter.write(Data("x".utf8), to: scratch.path("none/p.bin")) else {
            Issue.record("writing into a missing folder succeeded")
            return
        }
        #expect(missing.description == "cannot write '\(scratch.path("none/p.bin"))': No such file or directory")
    }

    @Test func staleTemporariesOfEndedProcessesAreRemoved() throws {
        let scratch = try FitScratch()
        let dead = try Self.deadPID()
        let stale = [".p.bin.\(dead).tmp", ".p.bin.\(dead).1a2b.tmp"]
        let kept = [".p.bin.\(getpid()).99.tmp", ".other.\(dead).tmp", ".p.bin.x.tmp"]
        for name in stale + kept { try scratch.write(name, "old") }
        try FileManager.default.createDirectory(atPath: scratch.path(".p.bin.\(dead).d.tmp"), withIntermediateDirectories: false)
        #expect(throws: Never.self) { try AtomicWriter.write(Data("new".utf8), to: scratch.path("p.bin")).get() }
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: scratch.folder.path))
        #expect(names == Set(kept + ["p.bin", ".p.bin.\(dead).d.tmp"]))
    }

    @Test func staleFitFoldersOfEndedProcessesAreRemoved() throws {
        let scratch = try FitScratch()
        let dead = try Self.deadPID()
        let names = ["adjoint-fit-\(dead)-\(UUID().uuidString)", "adjoint-fit-\(getpid())-\(UUID().uuidString)", "adjoint-fit-test-\(dead)"]
        for name in names {
            try FileManager.default.createDirectory(atPath: scratch.path(name), withIntermediateDirectories: false)
            try scratch.write("\(name)/kernels.c", "int x;")
        }
        CFitEngine.removeStaleFolders(in: scratch.folder)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: scratch.folder.path)) == Set(names.dropFirst()))
    }

    /// The `adjoint` executable beside the test bundle, when it was built.
    static var executable: String? {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let path = folder.appendingPathComponent("adjoint").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// SIGTERM while the C compiler runs: fit's temporary folder is removed and the compiler
    /// stopped, and the process still dies of SIGTERM. A `cc` that only sleeps holds fit there.
    /// (Foundation starts the child with this thread's signal mask, SIGTERM blocked on a
    /// dispatch thread; fit unblocks the signals it handles.)
    @Test(.enabled(if: OutputFileTests.executable != nil, "needs the adjoint executable beside the tests"))
    func signalDuringFitRemovesTheTemporaryFolder() throws {
        let scratch = try FitScratch()
        let bin = scratch.path("bin")
        let temporary = scratch.path("tmp")
        for folder in [bin, temporary] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false) }
        try scratch.write("bin/cc", "#!/bin/sh\necho $$ > '\(scratch.path("cc.pid"))'\nexec sleep 20\n")
        chmod(scratch.path("bin/cc"), 0o755)
        let model = try scratch.write("m.adj", FitFixtures.classifier)
        let csv = try scratch.write("d.csv", FitFixtures.clusters(rows: 20, seed: 1))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: OutputFileTests.executable!)
        process.arguments = ["fit", model, "--data", csv, "--engine", "c"]
        process.environment = ["PATH": "\(bin):/usr/bin:/bin", "TMPDIR": temporary]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Waits (up to 30 s) for the kernels to be written and the compiler started.
        var folder: [String] = []
        for _ in 0..<3000 {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
            if let name = names.first(where: { $0.hasPrefix("adjoint-fit-") }) {
                folder = (try? FileManager.default.contentsOfDirectory(atPath: "\(temporary)/\(name)")) ?? []
                if folder.count >= 3 { break }
            }
            usleep(10_000)
        }
        #expect(folder.count >= 3, "the temporary folder never filled: \(folder)")
        usleep(200_000)  // the compiler started
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == SIGTERM)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary).isEmpty)
        // The compiler was stopped too: nothing is left running from the fake cc.
        let compiler = pid_t(try String(contentsOfFile: scratch.path("cc.pid"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        // Stopped, not necessarily gone yet on a loaded machine: up to 5 s for it to end.
        var ended = false
        for _ in 0..<100 where !ended {
            usleep(50_000)
            ended = compiler.map { kill($0, 0) != 0 } == true
        }
        #expect(ended, "the compiler \(compiler.map(String.init) ?? "?") still runs")
    }

    // MARK: - fit's outputs

    private func fitOptions(_ scratch: FitScratch) throws -> FitOptions {
        var options = FitOptions(
            modelPath: try scratch.write("classes.adj", FitFixtures.classifier),
            dataPath: try scratch.write("train.csv", FitFixtures.clusters(rows: 30, seed: 2)))
        options.epochs = 1
        options.engine = .interpreter
        return options
    }

    @Test func outputsThatAreInputsOrEachOtherAreRefusedBeforeTraining() throws {
        let scratch = try FitScratch()
        let base = try fitOptions(scratch)
        let data = try String(contentsOfFile: base.dataPath, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: scratch.path("folder"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: scratch.path("link.csv"), withDestinationPath: base.dataPath)
        let cases: [(save: String?, plot: String?, message: String)] = [
            (base.dataPath, nil, "--save '\(base.dataPath)' is the same file as --data"),
            (nil, base.dataPath, "--plot '\(base.dataPath)' is the same file as --data"),
            (scratch.path("link.csv"), nil, "is the same file as --data"),
            (base.modelPath, nil, "is the same file as the model"),
            (scratch.path("p"), scratch.path("p"), "--plot '\(scratch.path("p"))' is the same file as --save"),
            (scratch.path("p"), scratch.folder.path + "/./p", "is the same file as --save"),
            ("/dev/full", nil, "--save '/dev/full' is not a regular file"),
            (scratch.path("folder"), nil, "--save '\(scratch.path("folder"))' is a folder"),
        ]
        for (save, plot, message) in cases {
            var options = base
            options.savePath = save
            options.plotPath = plot
            let run = FitFixtures.fit(options)
            #expect(run.result.status == 2)
            #expect(run.result.errors.contains(message), "\(run.result.errors)")
            #expect(run.text.isEmpty, "trained before refusing: \(run.text)")
        }
        #expect(try String(contentsOfFile: base.dataPath, encoding: .utf8) == data)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("p")))
    }

    @Test func outputsAreWrittenWhenDistinct() throws {
        let scratch = try FitScratch()
        var options = try fitOptions(scratch)
        options.savePath = scratch.path("p.bin")
        options.plotPath = scratch.path("curve.svg")
        try scratch.write("p.bin", "an old file is replaced")
        let run = FitFixtures.fit(options)
        #expect(run.result.status == 0, "\(run.result.errors)")
        let saved = try Data(contentsOf: URL(fileURLWithPath: scratch.path("p.bin")))
        #expect(saved.starts(with: Array("ADJPARAM".utf8)))
        #expect(try String(contentsOfFile: scratch.path("curve.svg"), encoding: .utf8).contains("<svg"))
        let names = try FileManager.default.contentsOfDirectory(atPath: scratch.folder.path)
        #expect(!names.contains { $0.hasSuffix(".tmp") })
    }
}
