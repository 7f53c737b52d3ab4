import AdjointAutodiff
import AdjointDriver
import AdjointIR
import AdjointSema
import Testing

/// The closed forms of batched products and transposes of any rank: a batched product prints as
/// juxtaposition like a matrix product (`A B`), a matrix's transpose as `Aᵀ`, every other
/// permutation as the model language's call (`transpose(B, axes = [0, 2, 1])`), and every
/// printed gradient evaluates to reverse mode's (`FormulaReader` reads the notation).
@Suite struct BatchedFormulaTests {
    static let models: [String] = [
        """
        dim batch
        input x: [batch, 3, 4]
        param W: [4, 5]
        param A: [2, 3, 4]
        param B: [2, 4, 3]
        param v: [4]
        param V: [2, 4, 5]
        h = tanh(x @ W)
        c = A @ B
        d = v @ V
        e = transpose(A)
        loss = mean(h * h) + sum(c * c) + sum(d) + sum(e * e)
        minimize loss using sgd(lr = 0.1)
        """,
        """
        param A: [2, 3, 4, 5]
        param B: [2, 3, 5, 4]
        param P: [2, 1, 3, 4]
        param Q: [1, 2, 4, 3]
        param M: [3, 4]
        param N: [2, 4, 5]
        param u: [5]
        c1 = A @ B
        c2 = P @ Q
        c3 = M @ N
        c4 = N @ u
        loss = mean(c1 * c1) + mean(tanh(c2)) + sum(c3 * c3) + sum(square(c4))
        minimize loss using adam(lr = 0.01)
        """,
        """
        dim batch
        input x: [batch, 2, 3]
        input y: [batch, 3, 2]
        param T: [3, 2]
        param S: [2, 3, 4, 5]
        a = x @ y
        b = transpose(x @ T)
        loss = mean(a * a) + mean(b * tanh(b)) + sum(transpose(S) * transpose(S))
        minimize loss using sgd(lr = 0.1)
        """,
    ]

    @Test(arguments: models.indices)
    func formulasEvaluateToTheGradients(model: Int) throws {
        let program = try #require(FormulaRoundTripTests.checked(Self.models[model]))
        for seed: UInt64 in [1, 2] {
            let mismatch = FormulaRoundTripTests.mismatch(program, seed: seed)
            #expect(mismatch == nil, "\(mismatch ?? "")")
        }
    }

    @Test func notation() throws {
        let program = try #require(FormulaRoundTripTests.checked(Self.models[0]))
        let text = Derivation(path: "model.adj", program: program).render(.text)
        #expect(text.contains("∂loss/∂B = 2 transpose(A, axes = [0, 2, 1]) c"), "\(text)")
        #expect(text.contains("c = A B"), "\(text)")
        #expect(text.contains("h = tanh(x W)"), "\(text)")
        #expect(text.contains("Σ_batch"), "\(text)")
    }
}
