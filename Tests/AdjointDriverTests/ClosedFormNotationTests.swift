import AdjointAutodiff
import AdjointDriver
import AdjointSyntax
import Foundation
import Testing

/// How the closed forms read: names where the model wrote names, numbers where it wrote numbers,
/// signs and repeats written as a person would, and invented names that cannot be mistaken for
/// the model's own.
@Suite struct ClosedFormNotationTests {
    static func derivation(_ text: String) throws -> Derivation {
        let program = try #require(Frontend.check(SourceFile(path: "model.adj", text: text)).checked)
        return Derivation(path: "model.adj", program: program)
    }

    /// The lines of the text form's `# gradients` section (gradients and `where` definitions).
    static func gradientLines(_ text: String) throws -> [String] {
        let derivation = try derivation(text)
        let output = derivation.render(.text)
        let section = try #require(output.components(separatedBy: "# gradients\n").last)
        return section.components(separatedBy: "\n\n")[0].components(separatedBy: "\n")
    }

    /// A literal equal to a const's value prints as the number, in every format; the const prints
    /// by name where the model uses it.
    @Test func aConstNamesOnlyItsOwnUses() throws {
        let model = """
            const lr_scale = 3
            param w = 1
            param v = 1
            loss = 3 * w + lr_scale * v ^ 2 / 2 + w ^ 3
            minimize loss

            """
        let derivation = try Self.derivation(model)
        #expect(try Self.gradientLines(model).contains("∂loss/∂w = 3 w² + 3"))
        #expect(derivation.render(.latex).contains("\\frac{\\partial \\mathrm{loss}}{\\partial w} &= 3 {w}^{2} + 3 \\\\"), "\(derivation.render(.latex))")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(derivation.render(.json).utf8)) as? [String: Any])
        let gradients = try #require(json["gradients"] as? [[String: String]])
        #expect(gradients.first { $0["param"] == "w" }?["text"] == "3 w² + 3")
        #expect(!derivation.render(.text).components(separatedBy: "# gradients")[1].contains("lr_scale"))

        let named = try Self.gradientLines("const scale = 3\nparam v = 1\nloss = scale * sin(v) + 3 * v\nminimize loss\n")
        #expect(named.contains("∂loss/∂v = 3 + scale cos(v)"), "\(named)")
    }

    /// Repeats, double signs and products with 1 are written out: `w * w / 2` gives `w` (the
    /// repeated term `x + x` is `2 x`, and 2 · (1/2) folds), `a + b`, `0.5`.
    @Test(arguments: [
        ("param w = 1\nparam v: [3] = 1\nloss = w * w / 2 + sum(v) * -0.5\nminimize loss\n", "∂loss/∂w = w"),
        ("param v: [3] = 1\nloss = sum(v - (-0.5) * v)\nminimize loss\n", "∂loss/∂v = 1.5"),
        ("param v: [3] = 1\nloss = sum(-(-0.5 * v))\nminimize loss\n", "∂loss/∂v = 0.5"),
        ("param w = 1\nloss = -cos(w) * exp(w)\nminimize loss\n", "∂loss/∂w = −cos(w) v₁ + v₁ sin(w)"),
        ("param v: [3] = 1\nloss = sum(-(v * -0.5) + v * v)\nminimize loss\n", "∂loss/∂v = 2 v + 0.5"),
    ])
    func formulasAreTidy(model: String, line: String) throws {
        let lines = try Self.gradientLines(model)
        #expect(lines.contains(line), "\(lines)")
        for line in lines {
            for untidy in ["− −", "+ −", "−(−", "δ₁ + δ₁", " 1 ", " 1\n"] { #expect(!(line + "\n").contains(untidy), "\(line)") }
        }
    }

    /// A forward value's transpose prints inline (`n1ᵀ`), not as a δ; invented names skip the
    /// subscripts the model's own names (`v1`) spell.
    @Test func inventedNamesAreAdjointsAndCollideWithNothing() throws {
        let lines = try Self.gradientLines(
            """
            dim batch
            input x: [batch, 3]
            param W1: [3, 4]
            param W2: [4, 2]
            param W3: [4, 2]
            n1 = relu(x @ W1)
            v1 = n1 @ W2
            d1 = n1 @ W3
            loss = sum(v1) + sum(d1 ^ 2)
            minimize loss

            """)
        #expect(lines.contains("∂loss/∂W3 = 2 n1ᵀ d1"), "\(lines)")
        #expect(!lines.contains { $0.hasPrefix("  δ") && $0.hasSuffix("ᵀ") }, "\(lines)")
        #expect(lines.contains("  v₂ = x W1"), "\(lines)")
        #expect(!lines.contains { $0.contains("v₁") }, "\(lines)")
    }

    /// Version 2: the derivative of `max` along an axis is the one-hot of the arg-max position;
    /// `where` prints as itself in forward values and as `𝟙(c) ⊙ δ` in derivatives; comparisons
    /// are indicators.
    @Test func selectionReadsAsIndicators() throws {
        let lines = try Self.gradientLines(
            """
            param x: [3, 4]
            input c: [3, 4]
            minimize sum(max(x, axis = 1))
            """)
        #expect(lines.contains("∂loss/∂x = one_hot(argmax_axis1 x, 4)"), "\(lines)")
        let masked = try Self.gradientLines(
            """
            param x: [4, 4]
            input c: [4, 4]
            const causal: [4, 4] = tril
            minimize sum(softmax(where(causal, x, -inf))) + sum(where(c, x, 0) * (x < 1))
            """)
        #expect(masked.contains { $0.contains("softmax(where(causal, x, −inf))") }, "\(masked)")
        #expect(masked.contains { $0.contains("𝟙(c) ⊙ 𝟙(x < 1)") || $0.contains("𝟙(c) ⊙ ") }, "\(masked)")
        // The derivative of a `where` is a case split of the cotangent, as a textbook writes a
        // leaky ReLU's: not `0.1(𝟙(v₂) ⊙ δ₁) + 𝟙(v₁) ⊙ δ₁` with `v₂ = 𝟙(v₁ = 0)`.
        let leakyModel = """
            dim batch
            input x: [batch, 3]
            param W: [3, 3]
            z = x @ W
            minimize mean(square(where(z > 0, z, 0.1 * z)))
            """
        let leaky = try Self.gradientLines(leakyModel)
        #expect(leaky.contains("∂loss/∂W = xᵀ where(v₁, δ₁, 0.1 δ₁)"), "\(leaky)")
        #expect(!leaky.contains { $0.contains("𝟙(v₁ = 0)") }, "\(leaky)")
        // LaTeX writes it as cases; a comparison as itself, another condition as c ≠ 0.
        let latex = try Self.derivation(leakyModel).render(.latex)
        #expect(latex.contains("\\begin{cases} \\delta_{1} & \\text{if } v_{1} \\neq 0 \\\\ 0.1 \\delta_{1} & \\text{otherwise} \\end{cases}"), "\(latex)")
        // The derivative of a logsumexp (a class-index cross entropy's) is the textbook's softmax.
        let crossEntropy = try Self.gradientLines(
            """
            dim batch
            input x: [batch, 64]
            input y: int[batch]
            param W: [64, 10]
            logits = x @ W
            minimize softmax_cross_entropy(logits, y)
            """)
        #expect(crossEntropy.contains("∂loss/∂W = xᵀ(−(1 / batch) one_hot(y, 10) + (1 / batch) softmax(logits))"), "\(crossEntropy)")
        let split = Formula.call("where", [.indicator(.symbol("z"), "≥", .number(2)), .symbol("z"), .number(0)])
        #expect(FormulaPrinter.print(split, .latex) == "\\begin{cases} z & \\text{if } z \\geq 2 \\\\ 0 & \\text{otherwise} \\end{cases}")
    }
}
