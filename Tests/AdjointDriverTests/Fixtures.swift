import AdjointInterpreter
import Foundation
import Testing

/// Test models that are written by code rather than by hand: the files in `Fixtures/` must equal
/// what these functions print (`UPDATE_GOLDENS=1 swift test` rewrites them).
enum Fixtures {
    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
    }

    /// Karpathy's min-char-rnn unrolled over `steps` characters (the language has no loops):
    /// h_t = tanh(x_t Wxh + h_{t−1} Whh + bh), the loss the sum over steps of the softmax cross-
    /// entropy of h_t Why + by against y_t, weights drawn from normal(0, 0.01) as min-char-rnn draws
    /// them. With 25 steps and a vocabulary of 65 the loss is about 25 log 65 ≈ 104.
    static func charRNN(steps: Int, vocabulary: Int, hidden: Int) -> String {
        var lines = [
            "# A character RNN (Karpathy's min-char-rnn) unrolled over \(steps) steps; written by",
            "# Tests/AdjointDriverTests/Fixtures.swift, charRNN(steps:vocabulary:hidden:).",
            "dim batch", "dim vocab = \(vocabulary)", "dim hidden = \(hidden)", "",
        ]
        lines += (1...steps).map { "input x\($0): [batch, vocab]" }
        lines += (1...steps).map { "input y\($0): [batch, vocab]" }
        lines += [
            "", "param Wxh: [vocab, hidden] = normal(0, 0.01)", "param Whh: [hidden, hidden] = normal(0, 0.01)",
            "param bh: [hidden]", "param Why: [hidden, vocab] = normal(0, 0.01)", "param by: [vocab]", "",
            "h1 = tanh(x1 @ Wxh + bh)",
        ]
        if steps >= 2 { lines += (2...steps).map { "h\($0) = tanh(x\($0) @ Wxh + h\($0 - 1) @ Whh + bh)" } }
        lines += (1...steps).map { "l\($0) = softmax_cross_entropy(h\($0) @ Why + by, y\($0))" }
        lines += ["loss = " + (1...steps).map { "l\($0)" }.joined(separator: " + "), "", "minimize loss using adagrad(lr = 0.1)"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// A values file for the char RNN: one-hot characters, drawn with SplitMix64 from `seed`.
    static func oneHotValues(steps: Int, vocabulary: Int, batch: Int, seed: UInt64) -> String {
        var random = SplitMix64(seed: seed)
        var inputs: [String] = []
        for name in ["x", "y"] {
            for step in 1...steps {
                var scalars = [Int](repeating: 0, count: batch * vocabulary)
                for row in 0..<batch { scalars[row * vocabulary + Int(random.next() % UInt64(vocabulary))] = 1 }
                inputs.append("\"\(name)\(step)\": [\(scalars.map(String.init).joined(separator: ", "))]")
            }
        }
        return "{\"dims\": {\"batch\": \(batch)}, \"inputs\": {\(inputs.joined(separator: ", "))}}\n"
    }

    /// The values `simclr.adj` is checked at: 2N = 8 views with features drawn from (0.1, 0.9) and
    /// W from (−0.8, 0.8), the identity as the mask, and view i's positive at (i + 4) mod 8.
    static func simclrValues() -> String {
        var random = SplitMix64(seed: 7)
        let views = 8
        func list(_ scalars: [Double]) -> String { "[" + scalars.map { "\($0)" }.joined(separator: ", ") + "]" }
        let x = (0..<views * 6).map { _ in 0.1 + 0.8 * random.uniform() }
        let w = (0..<6 * 4).map { _ in -0.8 + 1.6 * random.uniform() }
        let mask = (0..<views * views).map { $0 / views == $0 % views ? 1.0 : 0 }
        let positive = (0..<views * views).map { $0 % views == ($0 / views + views / 2) % views ? 1.0 : 0 }
        return """
            {
              "dims": {"views": \(views)},
              "params": {"W": \(list(w))},
              "inputs": {
                "x": \(list(x)),
                "mask": \(list(mask)),
                "positive": \(list(positive))
              }
            }

            """
    }

    /// Expects `Fixtures/NAME` to hold `text`, or writes it with `UPDATE_GOLDENS=1`.
    static func expectFile(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        if ProcessInfo.processInfo.environment["UPDATE_GOLDENS"] == "1" {
            try? text.write(toFile: path(name), atomically: true, encoding: .utf8)
            return
        }
        let stored = (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? ""
        #expect(stored == text, "Fixtures/\(name) differs from its generator; UPDATE_GOLDENS=1 swift test rewrites it",
                sourceLocation: sourceLocation)
    }
}
