import AdjointCodegen
import AdjointIR
import Foundation
import Testing

/// A flat chain of 20,000 terms (`+ - * /` over params and a vector input) compiles: its C
/// kernels match the reference interpreter, and the Swift printer writes it too. Lowering,
/// fusion and both printers (the formula comment on each loop included) follow operands
/// recursively, so this fails with a stack overflow if the chain reaches them as a deep tree.
@Suite struct ChainKernelTests {
    static let terms = 20_000

    /// `s = x + a * x - b * x * x + x / c - c + a * x ...`: four kinds of term in turn.
    static var source: String {
        let products = ["a * x", "b * x * x", "x / c", "c"]
        let chain = "x" + (1..<terms).map { ($0 % 3 == 0 ? " - " : " + ") + products[$0 % 4] }.joined()
        return """
            dim n
            input x: [n]
            input y: [n]
            param a = 0.5
            param b = 0.25
            param c = 2
            s = \(chain)
            loss = mse(s, y)
            output s
            minimize loss using sgd(lr = 0.000001)

            """
    }

    @Test(arguments: [Precision.double, .float])
    func longChainMatchesTheInterpreter(precision: Precision) throws {
        try verify(KernelCase(name: "chain", source: Self.source, dims: ["n": 7], precision: precision))
    }

    @Test func longChainPrintsAsSwift() throws {
        let program = try checkedProgram(Self.source, path: "chain.adj")
        let kernels = ModelKernels(program, name: "chain", modelPath: "chain.adj")
        let text = SwiftPrinter(kernels, precision: .float, tool: "adjoint test").source()
        #expect(text.contains("public struct Chain"))
    }
}
