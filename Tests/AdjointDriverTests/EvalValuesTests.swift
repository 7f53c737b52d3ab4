import AdjointDriver
import Foundation
import Testing

/// `eval`'s values in and out: infinities and NaN as the strings it prints and reads back,
/// malformed JSON located; `check`'s hint at a kink; max's and relu's derivatives at 0.
@Suite struct EvalValuesTests {
    private let linear = Repository.url("samples/linear-regression.adj").path

    private func eval(_ model: String, _ values: String, _ options: [String] = []) throws -> CommandResult {
        let file = try TemporaryFile(values, suffix: ".json")
        let adj = try TemporaryFile(model, suffix: ".adj")
        return CommandLineInterface.run(["eval", adj.path, "--values", file.path] + options)
    }

    /// log(w²) at w = 0 is −inf and its gradient 2/w NaN; both print as strings, and the strings
    /// are read back as those numbers.
    @Test func infinitiesPrintAsStringsAndReadBack() throws {
        let model = "param w = 0\nloss = log(w * w)\nminimize loss\n"
        let zero = try eval(model, "{}", ["--gradient"])
        #expect(zero.status == 0, "\(zero.errors)")
        #expect(zero.output == #"{"gradient":{"w":["nan"]},"loss":"-inf"}"# + "\n")
        let back = try eval(model, #"{"params": {"w": "-inf"}}"#, ["--gradient"])
        #expect(back.status == 0, "\(back.errors)")
        #expect(back.output == #"{"gradient":{"w":["nan"]},"loss":"inf"}"# + "\n")
        let list = try eval("param w: [3] = 0\nminimize sum(w)\n", #"{"params": {"w": ["inf", "nan", -1e308]}}"#)
        #expect(list.output == #"{"loss":"nan"}"# + "\n")
        #expect(try eval(model, #"{"params": {"w": "infinity"}}"#).errors.contains("1:18: 'w' must be a number or a flat list of numbers"))
        let help = CommandLineInterface.run(["eval", "--help"])
        #expect(help.output.contains(#""inf", "-inf" and "nan""#))
    }

    /// Integer inputs: ids gather rows (a repeated id adds its gradient twice), a non-integer or
    /// out-of-range id is refused with its input, position and value.
    @Test func integerInputsGatherAndBadIdsAreRefused() throws {
        let model = """
            dim n
            input ids: int[n]
            param E: [3, 2]
            loss = sum(E[ids] * E[ids])
            minimize loss
            """
        let values = #"{"dims": {"n": 3}, "params": {"E": [1, 2, 3, 4, 5, 6]}, "inputs": {"ids": [2, 0, 2]}}"#
        let result = try eval(model, values, ["--gradient"])
        #expect(result.status == 0, "\(result.errors)")
        // loss = 2 (5² + 6²) + 1² + 2² = 127; ∂/∂E = 2 E at each use: row 2 twice, row 0 once.
        #expect(result.output == #"{"gradient":{"E":[2,4,0,0,20,24]},"loss":127}"# + "\n")
        let bad = try eval(model, values.replacingOccurrences(of: "[2, 0, 2]", with: "[2, 3, 2]"))
        #expect(bad.status == 2)
        #expect(bad.errors.contains("ids[1] is 3, outside 0..<3"), "\(bad.errors)")
        let fraction = try eval(model, values.replacingOccurrences(of: "[2, 0, 2]", with: "[2, 0.5, 2]"))
        #expect(fraction.status == 2)
        #expect(fraction.errors.contains("'ids' is an int input, but element 1 is 0.5"), "\(fraction.errors)")
    }

    @Test(arguments: [
        ("{\"dims\": {\"n\": 3},\n \"inputs\": {\"x\": [1, 2 3]}}", ":2:24: not valid JSON: expected ',' or ']' after a list element, found '3'"),
        ("{\"dims\": {\"n\": 3,}}", ":1:18: not valid JSON: expected a name in quotes, found '}'"),
        ("{\"dims\": {\"n\": 03}}", ":1:16: not valid JSON: a JSON number has no leading zeros"),
        ("{\"dims\": {\"n\": 1e999}}", ":1:16: not valid JSON: 1e999 is out of the range of double"),
        ("{\"dims\": {\"n\": 3}}\n\n  x", ":3:3: not valid JSON: unexpected text after the JSON value"),
        ("\n\n  {\"dims\": {\"n\": \"x", ":3:18: not valid JSON: the string has no closing '\"'"),
        (String(repeating: "[", count: 100_000), ":1:65: not valid JSON: nested deeper than 64 levels"),
        ("{\"dims\": {\"n\": 3}, \"params\": {\"a\": true}}", ":1:36: 'a' must be a number or a flat list"),
    ] as [(String, String)])
    func malformedValuesAreLocated(values: String, message: String) throws {
        let file = try TemporaryFile(values, suffix: ".json")
        let result = CommandLineInterface.run(["eval", linear, "--values", file.path])
        #expect(result.status == 2)
        #expect(result.errors.contains(file.path + message), "\(result.errors)")
    }

    /// relu of a zero-initialized product sits at its kink: the check fails and says why.
    @Test func checkHintsAtKinks() throws {
        let model = try TemporaryFile(
            "dim n\ninput x: [n, 2]\ninput y: [n]\nparam W: [2, 3] = 0\nparam v: [3] = 1\nh = relu(x @ W)\nloss = mse(h @ v, y)\nminimize loss\n",
            suffix: ".adj")
        let result = CommandLineInterface.run(["check", model.path])
        #expect(result.status == 1)
        #expect(result.output.contains("hint: h = relu(...) has its input exactly at 0 at 9 of 9 elements, where it has no derivative"))
        #expect(result.output.contains("it lies on the gradient of W:"))
        let tie = try TemporaryFile("param a = 0\nparam b = 0\nm = max(a, b)\nminimize m\n", suffix: ".adj")
        let tied = CommandLineInterface.run(["check", tie.path])
        #expect(tied.status == 1)
        #expect(tied.output.contains("hint: m = max(...) has tied operands at 1 of 1 elements"))
        // A reduction's tie: the rows of a zero matrix have their maximum three times.
        let rows = try TemporaryFile("param w: [2, 3] = 0\nm = max(w, axis = 1)\nminimize sum(m)\n", suffix: ".adj")
        let tiedRows = CommandLineInterface.run(["check", rows.path])
        #expect(tiedRows.status == 1)
        #expect(tiedRows.output.contains("hint: m = max(...) has tied operands at 2 of 2 elements"), "\(tiedRows.output)")
        // A passing check prints no hint, even where an op sits at its kink off the failing path.
        #expect(!CommandLineInterface.run(["check", linear]).output.contains("hint:"))
    }

    /// max(w, 0) sends the gradient to w on a tie (1 at w = 0); relu's derivative at 0 is 0. Both
    /// are documented where the functions are.
    @Test func maxAndReluDifferAtZeroAsDocumented() throws {
        for (body, gradient) in [("max(w, 0)", 1.0), ("max(0, w)", 0.0), ("relu(w)", 0.0)] {
            let result = try eval("param w = 0\nminimize \(body)\n", "{}", ["--gradient"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
            #expect((object["gradient"] as? [String: [Double]])?["w"] == [gradient], "\(body)")
        }
        let grammar = try String(contentsOf: Repository.url("grammar/README.md"), encoding: .utf8)
        #expect(grammar.contains("`max(w, 0)` and `relu(w)` differ at w = 0"))
        for document in ["README.md", "docs/language.md"] {
            let text = try String(contentsOf: Repository.url(document), encoding: .utf8)
            #expect(text.contains("`max(w, 0)` and `relu(w)` differ at w = 0"), "\(document)")
        }
    }
}
