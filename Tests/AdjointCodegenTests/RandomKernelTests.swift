import AdjointAutodiff
@testable import AdjointCodegen
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Foundation
import Testing

/// The random stream across backends (issue 18): samples/vae.adj trained five steps in double
/// from the same params and seed by the interpreter, the generated C and the generated Swift gives
/// the same params to the last bit; `gradient` then `apply` equals `step` bit for bit; another
/// seed gives other params.
@Suite struct RandomKernelTests {
    static let (batch, steps, initSeed) = (5, 5, UInt64(1))
    static let seeds: [UInt64] = [3, 4]

    /// The flat params after the steps, per seed: `step` and `gradient` then `apply`.
    typealias Run = [UInt64: (step: [Double], split: [Double])]

    static func inputs() -> [Double] {
        var random = SplitMix64(seed: 99)
        return (0..<batch * 64).map { _ in random.uniform() }
    }

    static func interpreter(_ program: CheckedProgram) -> [UInt64: [Double]] {
        let update = UpdateProgram.step(program)
        var bindings = program.initialParams(seed: initSeed)
        bindings["x"] = Tensor(sizes: [batch, 64], scalars: inputs())
        var result: [UInt64: [Double]] = [:]
        for seed in seeds {
            let start = Training.Point(bindings: bindings, state: Training.initialState(update), seed: seed)
            let (_, final) = Training.steps(update, from: start, dims: ["batch": batch], count: steps)
            result[seed] = program.params.flatMap { final.bindings[$0.name]!.scalars }
        }
        return result
    }

    static func read(_ url: URL) throws -> [Double] {
        try Data(contentsOf: url).withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
    }

    static func c(_ program: CheckedProgram, in folder: URL) throws -> Run {
        let kernels = ModelKernels(program, name: "vae", modelPath: "vae.adj")
        let printer = CPrinter(kernels, precision: .double, tool: "adjoint test")
        try printer.header().write(to: folder.appendingPathComponent("vae.h"), atomically: true, encoding: .utf8)
        try printer.source().write(to: folder.appendingPathComponent("vae.c"), atomically: true, encoding: .utf8)
        let main = """
            #include <stdio.h>
            #include <stdlib.h>
            #include "vae.h"
            static vae_params p, q;
            static vae_grads g;
            static vae_state s, r;
            static double x[\(batch * 64)];
            int main(int argc, char **argv) {
                (void)argc;
                FILE *in = fopen("x.bin", "rb");
                if (!in || fread(x, sizeof x, 1, in) != 1) return 2;
                fclose(in);
                uint64_t seed = strtoull(argv[1], NULL, 10);
                void *ws = NULL;
                if (posix_memalign(&ws, 64, vae_workspace_size(\(batch)) + 64) != 0) return 3;
                vae_init(&p, \(initSeed)); vae_state_init(&s, seed);
                vae_init(&q, \(initSeed)); vae_state_init(&r, seed);
                for (int k = 0; k < \(steps); ++k) {
                    vae_step(&p, &s, x, \(batch), ws);
                    vae_gradient(&q, x, \(batch), r.seed, r.t, &g, ws);
                    vae_apply(&q, &r, &g);
                }
                FILE *out = fopen(argv[2], "wb");
                if (!out || fwrite(&p, sizeof p, 1, out) != 1 || fwrite(&q, sizeof q, 1, out) != 1 || fclose(out) != 0) return 4;
                free(ws);
                return 0;
            }
            """
        try main.write(to: folder.appendingPathComponent("main.c"), atomically: true, encoding: .utf8)
        let compile = try run("/usr/bin/cc", CHarness.flags.map { $0 == "-std=c99" ? "-std=gnu11" : $0 } + ["-O2", "vae.c", "main.c", "-o", "c-run", "-lm"], in: folder)
        try #require(compile.status == 0, "cc failed:\n\(compile.errors)")
        return try runSeeds(program, "c", in: folder)
    }

    /// Runs `NAME-run SEED NAME-SEED.bin` for every seed and reads back the params after `step`
    /// and after `gradient` then `apply`.
    static func runSeeds(_ program: CheckedProgram, _ backend: String, in folder: URL) throws -> Run {
        var result: Run = [:]
        let count = program.params.reduce(0) { $0 + $1.shape.sizes([:]).reduce(1, *) }
        for seed in seeds {
            let status = try run(folder.appendingPathComponent("\(backend)-run").path, ["\(seed)", "\(backend)-\(seed).bin"], in: folder)
            try #require(status.status == 0, "the \(backend) run exited \(status.status): \(status.errors)")
            let values = try read(folder.appendingPathComponent("\(backend)-\(seed).bin"))
            result[seed] = (Array(values[..<count]), Array(values[count...]))
        }
        return result
    }

    static func swift(_ program: CheckedProgram, in folder: URL) throws -> Run {
        let kernels = ModelKernels(program, name: "vae", modelPath: "vae.adj")
        let printer = SwiftPrinter(kernels, precision: .double, tool: "adjoint test")
        try printer.source().write(to: folder.appendingPathComponent("Vae.swift"), atomically: true, encoding: .utf8)
        let fields = program.params.map { "m.\(printer.paramFields[$0.name]!)" }.joined(separator: " + ")
        let splitFields = fields.replacingOccurrences(of: "m.", with: "n.")
        let main = """
            import Foundation
            let x = FileManager.default.contents(atPath: "x.bin")!.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
            let seed = UInt64(CommandLine.arguments[1])!
            var m = \(printer.typeName)(seed: \(initSeed))
            m.seed = seed
            var n = m
            for _ in 0..<\(steps) {
                _ = m.step(x: x, batch: \(batch))
                let (_, grads) = n.gradient(x: x, batch: \(batch), seed: n.seed, t: n.t)
                n.apply(grads)
            }
            let values: [Double] = \(fields) + \(splitFields)
            try! values.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: CommandLine.arguments[2])) }
            """
        try main.write(to: folder.appendingPathComponent("main.swift"), atomically: true, encoding: .utf8)
        let compile = try run(SwiftHarness.swiftc, ["-O", "-swift-version", "6", "-warnings-as-errors", "Vae.swift", "main.swift", "-o", "swift-run"], in: folder)
        try #require(compile.status == 0, "swiftc failed:\n\(compile.errors)")
        return try runSeeds(program, "swift", in: folder)
    }

    @Test func vaeStepsAreBitIdenticalAcrossBackends() throws {
        let program = try checkedProgram(String(decoding: Data(contentsOf: Repository.url("samples/vae.adj")), as: UTF8.self), path: "vae.adj")
        let folder = try temporaryFolder("random-vae")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.inputs().withUnsafeBytes { try Data($0).write(to: folder.appendingPathComponent("x.bin")) }
        let reference = Self.interpreter(program)
        let c = try Self.c(program, in: folder)
        let swift = try Self.swift(program, in: folder)
        func bits(_ values: [Double]) -> [UInt64] { values.map(\.bitPattern) }
        for seed in Self.seeds {
            let expected = bits(reference[seed]!)
            #expect(bits(c[seed]!.step) == expected, "C step, seed \(seed)")
            #expect(bits(c[seed]!.split) == expected, "C gradient then apply, seed \(seed)")
            #expect(bits(swift[seed]!.step) == expected, "Swift step, seed \(seed)")
            #expect(bits(swift[seed]!.split) == expected, "Swift gradient then apply, seed \(seed)")
        }
        #expect(reference[3]! != reference[4]!, "another seed, other params")
        #expect(c[3]!.step != c[4]!.step)
    }
}
