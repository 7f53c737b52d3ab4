import AdjointAutodiff
import AdjointDriver
import AdjointIR
import AdjointInterpreter
import AdjointSema
import AdjointSyntax
import Foundation
import Testing

/// Every sample through the whole differentiation pipeline: the IR verifies and round-trips
/// through its text form, reverse mode agrees with finite differences, and the gradient is cheap.
@Suite struct PipelineTests {
    static let samples = Repository.models(in: "samples")
    /// The 784-1024-1024-10 network takes half a minute to check in a debug build; `.ci/run`
    /// checks it with the release build of `adjoint check`.
    static let checkedInProcess = samples.filter { !$0.hasSuffix("deep-mlp.adj") }

    static func checked(_ path: String) throws -> CheckedProgram {
        let file = try SourceFile(path: path, text: String(contentsOf: Repository.url(path), encoding: .utf8))
        let result = Frontend.check(file)
        #expect(result.diagnostics.isEmpty, "\(result.renderedDiagnostics)")
        return try #require(result.checked)
    }

    @Test(arguments: samples)
    func graphsVerifyAndTheirTextRoundTrips(path: String) throws {
        let program = try Self.checked(path)
        let gradient = ReverseMode.differentiate(program.forwardGraph())
        #expect(program.forwardGraph().graph.verify() == [])
        #expect(gradient.graph.verify() == [])
        let text = IRText.print(gradient.graph)
        let parsed = try IRText.parse(text)
        #expect(parsed == gradient.graph)
        #expect(IRText.print(parsed) == text)
    }

    @Test(arguments: checkedInProcess)
    func reverseModeAgreesWithFiniteDifferences(path: String) throws {
        let program = try Self.checked(path)
        let dims = Dictionary(uniqueKeysWithValues: program.dims.filter { $0.size == nil }.map { ($0.name, 3) })
        for seed: UInt64 in [0, 1] {
            for report in GradientCheck.run(program, seed: seed, dims: dims) {
                #expect(report.passed, "\(path) \(report.param) seed \(seed): \(report)")
            }
        }
    }

    /// Backpropagation's promise: the gradient costs a small multiple of the forward pass.
    @Test(arguments: ["samples/digits.adj", "samples/mnist-mlp.adj", "samples/deep-mlp.adj"])
    func gradientCostsAtMostThreeForwardPasses(path: String) throws {
        let derivation = Derivation(path: path, program: try Self.checked(path))
        #expect(derivation.cost.ratio <= 3, "\(path): \(derivation.cost.ratio)")
        #expect(derivation.cost.ratio >= 2, "\(path): a reverse pass cannot be cheaper than the forward pass")
    }

    @Test func irTextRejectsMalformedLines() {
        for (text, line) in [
            ("%0 = param x [] : []\n%1 = sin %5 : []\n", 2),
            ("%0 = param x [2] : [2]\n%1 = matmul %0, %0 : [2]\n", 2),
            ("%0 = param x [2] : [2]\n%1 = sin %0 : [3]\n", 2),
            ("%1 = param x [] : []\n", 1),
            ("%0 = frobnicate : []\n", 1),
            ("%0 = param x [] : []\nroot loss = %4\n", 2),
        ] {
            #expect(throws: IRText.ParseError.self) { try IRText.parse(text) }
            do {
                _ = try IRText.parse(text)
            } catch {
                #expect(error.line == line, "\(text): \(error.description)")
            }
        }
    }
}
