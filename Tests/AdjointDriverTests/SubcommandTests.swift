import AdjointDriver
import Foundation
import Testing

/// A file in the temporary folder, removed when the test ends.
final class TemporaryFile {
    let path: String

    init(_ text: String, suffix: String) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-\(UUID().uuidString)\(suffix)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// `derive` options, `eval`, `check` and `graph` through the command line, with exit statuses.
@Suite struct SubcommandTests {
    private let linear = Repository.url("samples/linear-regression.adj").path
    private let digits = Repository.url("samples/digits.adj").path

    @Test func deriveWrtPrintsOnlyTheNamedGradients() {
        let result = CommandLineInterface.run(["derive", digits, "--wrt", "W2", "--wrt=b2"])
        #expect(result.status == 0)
        #expect(result.output.contains("∂loss/∂W2 = "))
        #expect(result.output.contains("∂loss/∂b2 = "))
        #expect(!result.output.contains("∂loss/∂W1 = "))
        let unknown = CommandLineInterface.run(["derive", digits, "--wrt", "W9"])
        #expect(unknown.status == 2)
        #expect(unknown.errors.contains("'W9' is not a param"))
    }

    /// The values at declared values print a tensor gradient as a list of numbers, not strings.
    @Test func deriveValuesPrintTensorGradientsAsNumbers() throws {
        let model = try TemporaryFile("param q: [3] = 1\nparam w = 2\nloss = w * w\nminimize sum(q) + loss\n", suffix: ".adj")
        let result = CommandLineInterface.run(["derive", model.path])
        #expect(result.status == 0)
        #expect(result.output.contains("∂objective/∂q = [1, 1, 1]\n"), "\(result.output)")
        #expect(result.output.contains("objective = 7\n"))
    }

    @Test func deriveJSONAndLaTeX() throws {
        let json = CommandLineInterface.run(["derive", linear, "--format", "json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let gradients = try #require(object["gradients"] as? [[String: Any]])
        #expect(gradients.compactMap { $0["param"] as? String } == ["a", "b"])
        #expect(object["loss"] as? String == "loss")

        let latex = CommandLineInterface.run(["derive", linear, "--format", "latex"])
        #expect(latex.status == 0)
        #expect(latex.output.contains("\\begin{align*}"))
        #expect(latex.output.contains("\\frac{\\partial \\mathrm{loss}}{\\partial a}") || latex.output.contains("\\frac{\\partial loss}{\\partial a}"))

        let bad = CommandLineInterface.run(["derive", linear, "--format", "html"])
        #expect(bad.status == 2)
        #expect(bad.errors.contains("unknown format 'html'"))
    }

    /// Linear regression at a = 2, b = 1 on (1, 3), (2, 5), (3, 8): residuals (0, 0, −1), so by hand
    /// loss = 1/3, ∂/∂a = (2/3) Σ r x = −2, ∂/∂b = (2/3) Σ r = −2/3.
    @Test func evalPrintsLossAndGradient() throws {
        let values = try TemporaryFile(
            #"{"dims": {"n": 3}, "params": {"a": 2, "b": [1]}, "inputs": {"x": [1, 2, 3], "y": [3, 5, 8]}}"#,
            suffix: ".json")
        let result = CommandLineInterface.run(["eval", linear, "--values", values.path, "--gradient"])
        #expect(result.status == 0, "\(result.errors)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let loss = try #require(object["loss"] as? Double)
        #expect(abs(loss - 1.0 / 3) < 1e-15)
        let gradient = try #require(object["gradient"] as? [String: [Double]])
        #expect(abs(gradient["a"]![0] - -2) < 1e-14)
        #expect(abs(gradient["b"]![0] - -2.0 / 3) < 1e-14)

        let lossOnly = CommandLineInterface.run(["eval", linear, "--values", values.path])
        #expect(lossOnly.status == 0)
        #expect(!lossOnly.output.contains("gradient"))
    }

    /// Two steps of `sgd(lr = 0.05)` on the line fit, by hand: the gradients −2 and −2/3 move a and
    /// b to 2.1 and 31/30; there the residuals are 2/15, 7/30, −2/3, the loss 31/180, the
    /// gradients −14/15 and −1/5, and the params become 161/75 and 313/300.
    @Test func evalStepsApplyTheUpdateRule() throws {
        let values = try TemporaryFile(
            #"{"dims": {"n": 3}, "params": {"a": 2, "b": [1]}, "inputs": {"x": [1, 2, 3], "y": [3, 5, 8]}}"#,
            suffix: ".json")
        let result = CommandLineInterface.run(["eval", linear, "--values", values.path, "--steps", "2"])
        #expect(result.status == 0, "\(result.errors)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let losses = try #require(object["losses"] as? [Double])
        #expect(losses.count == 2)
        #expect(abs(losses[0] - 1.0 / 3) < 1e-15 && abs(losses[1] - 31.0 / 180) < 1e-15)
        let params = try #require(object["params"] as? [String: [Double]])
        #expect(abs(params["a"]![0] - 161.0 / 75) < 1e-14)
        #expect(abs(params["b"]![0] - 313.0 / 300) < 1e-14)
        let state = try #require(object["state"] as? [String: Any])
        #expect(state["t"] as? Double == 2)

        let one = CommandLineInterface.run(["eval", linear, "--values", values.path, "--step"])
        let first = try #require(try JSONSerialization.jsonObject(with: Data(one.output.utf8)) as? [String: Any])
        #expect(abs(((first["params"] as? [String: [Double]])?["a"]?[0] ?? 0) - 2.1) < 1e-15)

        for (options, message) in [
            (["--steps", "0"], "--steps needs an integer from 1 to 1000000"),
            (["--steps", "x"], "--steps needs an integer"),
            (["--step", "--steps", "2"], "not both"),
        ] {
            let bad = CommandLineInterface.run(["eval", linear, "--values", values.path] + options)
            #expect(bad.status == 2)
            #expect(bad.errors.contains(message), "\(bad.errors)")
        }
    }

    @Test(arguments: [
        (#"{"dims": {"n": 3}, "inputs": {"x": [1, 2, 3]}}"#, "missing input 'y'"),
        (#"{"dims": {"n": 3}, "inputs": {"x": [1, 2], "y": [1, 2, 3]}}"#, "'x' has shape [3] and needs 3 numbers, got 2"),
        (#"{"dims": {"n": 3}, "params": {"c": 1}, "inputs": {"x": [1, 2, 3], "y": [1, 2, 3]}}"#, "'c' is not a param"),
        (#"{"dims": {"n": 3}, "inputs": {"x": [1, 2, 3], "y": [1, 2, 3], "z": 1}}"#, "'z' is not an input"),
        (#"{"inputs": {"x": [1, 2, 3], "y": [1, 2, 3]}}"#, "missing runtime dim 'n'"),
        (#"{"dims": {"n": 2.5}}"#, "dim 'n' must be an integer"),
        (#"{"dims": {"n": 3}, "inputs": {"x": [1, true, 3], "y": [1, 2, 3]}}"#, "'x' must be a number or a flat list"),
        (#"{"dims": {"n": 3}, "weights": {}}"#, "unknown key 'weights'"),
        ("[1, 2]", "must be a JSON object"),
        ("{", "not valid JSON"),
    ] as [(String, String)])
    func evalValueErrorsNameTheProblem(values: String, message: String) throws {
        let file = try TemporaryFile(values, suffix: ".json")
        let result = CommandLineInterface.run(["eval", linear, "--values", file.path])
        #expect(result.status == 2)
        #expect(result.output.isEmpty)
        #expect(result.errors.contains(message), "\(result.errors)")
    }

    /// Sizes too large for the interpreter are refused before any memory is taken.
    @Test func hugeSizesAreRefusedNotAllocated() throws {
        let values = try TemporaryFile(#"{"dims": {"n": 1000000000}}"#, suffix: ".json")
        let eval = CommandLineInterface.run(["eval", linear, "--values", values.path])
        #expect(eval.status == 2)
        #expect(eval.errors.contains("needs more than 134217728 numbers"))
        let huge = try TemporaryFile("param W: [100000, 100000] = 0\nminimize sum(W)\n", suffix: ".adj")
        let derive = CommandLineInterface.run(["derive", huge.path])
        #expect(derive.status == 0)
        #expect(!derive.output.contains("# values at the declared values"))
        #expect(CommandLineInterface.run(["check", huge.path]).status == 2)
    }

    @Test func evalUsageErrors() {
        #expect(CommandLineInterface.run(["eval", linear]).errors.contains("missing --values"))
        #expect(CommandLineInterface.run(["eval", linear, "--values", "/nonexistent.json"]).status == 2)
        #expect(CommandLineInterface.run(["eval", linear, "--values"]).errors.contains("'--values' needs a value"))
        #expect(CommandLineInterface.run(["eval", linear, "--values", "a", "--values", "b"]).status == 2)
    }

    @Test func checkPassesAndReportsEveryParam() {
        let result = CommandLineInterface.run(["check", linear, "--dim", "n=5", "--seed", "7"])
        #expect(result.status == 0, "\(result.output)\(result.errors)")
        #expect(result.output.contains("(seed 7, n = 5)"))
        let rows = result.output.split(separator: "\n").dropFirst()
        #expect(rows.count == 2)
        #expect(rows.allSatisfy { $0.hasSuffix("ok") })
    }

    /// At a kink reverse mode takes one side (relu'(0) = 0) while central differences average
    /// both (0.5): the check must see the disagreement and exit 1.
    @Test func checkFailsWhereTheGradientDisagreesWithDifferences() throws {
        let model = try TemporaryFile("param a = 0\nminimize relu(a)\n", suffix: ".adj")
        let result = CommandLineInterface.run(["check", model.path])
        #expect(result.status == 1)
        #expect(result.output.contains("FAIL"))
        #expect(result.errors.contains("gradient check failed for a"))
    }

    @Test(arguments: [
        (["--dim", "m=3"], "'m' is not a dim"),
        (["--dim", "n"], "--dim needs NAME=SIZE"),
        (["--dim", "n=0"], "--dim needs NAME=SIZE"),
        (["--seed", "-1"], "--seed needs a non-negative integer"),
    ] as [([String], String)])
    func checkUsageErrors(options: [String], message: String) {
        let result = CommandLineInterface.run(["check", linear] + options)
        #expect(result.status == 2)
        #expect(result.errors.contains(message), "\(result.errors)")
    }

    @Test func checkRefusesASizeForAFixedDim() {
        let result = CommandLineInterface.run(["check", digits, "--dim", "hidden=4"])
        #expect(result.status == 2)
        #expect(result.errors.contains("'hidden' is fixed at 32"))
    }

    @Test func graphDrawsForwardAndBackward() {
        let forward = CommandLineInterface.run(["graph", digits])
        #expect(forward.status == 0)
        #expect(forward.output.hasPrefix("digraph adjoint {"))
        #expect(forward.output.contains("h = relu\\n[batch, 32]"))
        #expect(forward.output.contains("W1\\nparam [64, 32]"))
        #expect(!forward.output.contains("∂"))
        let backward = CommandLineInterface.run(["graph", digits, "--backward"])
        for param in ["W1", "b1", "W2", "b2"] {
            #expect(backward.output.contains("∂loss/∂\(param)"))
        }
        #expect(backward.output.split(separator: "\n").count > forward.output.split(separator: "\n").count)
    }

    @Test func everySubcommandHasHelp() {
        for subcommand in ["derive", "eval", "check", "graph"] {
            let result = CommandLineInterface.run([subcommand, "--help"])
            #expect(result.status == 0)
            #expect(result.output.hasPrefix("usage: adjoint \(subcommand) MODEL.adj"))
        }
    }
}
