@testable import AdjointCodegen
import Testing

/// The C printer's byte-level pieces: what they write must be what the string forms they
/// replaced wrote.
@Suite struct PrinterTextTests {
    func text(_ write: (inout CodeBuffer) -> Void) -> String {
        var out = CodeBuffer()
        write(&out)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// Empty lines are dropped, later lines are indented under the first, and `*/` in the text
    /// cannot end the comment.
    @Test func commentsKeepTheirShape() {
        #expect(text { CFunctionPrinter.writeComment("a */ b\n\nc**/\n", "    ", into: &$0) } == "    /* a * / b\n       c** / */\n")
        #expect(text { CFunctionPrinter.writeComment("v7: [batch, 32] = relu(v6)", "", into: &$0) } == "/* v7: [batch, 32] = relu(v6) */\n")
        #expect(text { CFunctionPrinter.writeComment("", "    ", into: &$0) } == "")
        #expect(text { CFunctionPrinter.writeComment("*\n/", "", into: &$0) } == "/* *\n   / */\n")
    }

    @Test(arguments: [0, 7, -7, 10, 1_000_000, Int.max, Int.min])
    func decimalsAsStringWritesThem(value: Int) {
        #expect(text { $0.append(decimal: value) } == String(value))
    }

    /// Indices and elements written into bytes read as the string printer wrote them.
    @Test func indicesAndElements() {
        let printer = CFunctionPrinter(name: "m", precision: .float)
        let index = IntExpr.variable("i0") * .constant(16) + .variable("i1") + .constant(-3)
        #expect(printer.integer(index) == "i0 * 16 + i1 - 3")
        #expect(text { printer.write(.workspace(12), index, into: &$0) } == "w12[i0 * 16 + i1 - 3]")
        #expect(printer.element(.param("W1"), .min(.constant(32), .dim("batch"))) == "p->W1[(32 < batch ? 32 : batch)]")
        #expect(text { printer.write(.quotient(.dim("batch"), .constant(8)) * .constant(8), into: &$0) } == "((batch) / (8)) * 8")
    }
}
