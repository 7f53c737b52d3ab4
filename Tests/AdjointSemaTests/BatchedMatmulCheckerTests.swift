import AdjointIR
import AdjointSema
import AdjointSyntax
import Testing

/// Batched products and transposes of any rank in model files: what checks, and the diagnostics
/// for batch axes that do not broadcast (both shapes named).
@Suite struct BatchedMatmulCheckerTests {
    static let prelude = """
        dim batch
        dim heads
        input x: [batch, 3, 4]
        input q: [batch, heads, 3, 4]
        input k: [batch, heads, 4, 3]
        input z: [heads, 4, 3]
        param W: [4, 5]
        param A: [2, 4, 5]

        """  // 8 lines; the line under test is line 9

    @Test(arguments: [
        "h = x @ W",
        "h = q @ k",
        "h = transpose(transpose(q)) @ k",
        "h = transpose(x)",
        "h = A @ transpose(W)",
        "h = transpose(W) @ A",
    ])
    func checks(line: String) {
        let found = errors(Self.prelude + line + "\nminimize sum(W)\n")
        #expect(found.isEmpty, "\(found)")
    }

    @Test(arguments: [
        ("h = x @ A", "shape-mismatch", 5),  // batch against 2
        ("h = x @ z", "shape-mismatch", 5),  // two runtime dims
        ("h = q @ A", "shape-mismatch", 5),  // heads against 2
        ("h = x @ x", "shape-mismatch", 5),  // 4 against 3
        ("h = sum(x) @ W", "invalid-rank", 5),
    ] as [(String, String, Int)])
    func mistakes(line: String, id: String, column: Int) {
        let found = errors(Self.prelude + line + "\nminimize sum(W)\n")
        #expect(found.map(\.0) == [id], "\(found)")
        #expect(found.first?.1 == "9:\(column)", "\(found)")
    }

    @Test func theMessageNamesBothShapes() {
        let file = SourceFile(path: "t.adj", text: Self.prelude + "h = x @ A\nminimize sum(W)\n")
        let (program, _) = Parser.parse(file)
        let (_, diagnostics) = Checker.check(program)
        let message = diagnostics.first?.message ?? ""
        #expect(message.contains("[batch, 3, 4]") && message.contains("[2, 4, 5]"), "\(message)")
    }
}
