import Foundation
import Testing

@testable import AdjointCodegen

/// `adjoint_sqrtf`, the generated C's float square root (`CPrinter.squareRoot`): the same bits as
/// the C library's `sqrtf` and loops that call it vectorized by gcc at plain `-O3`.
@Suite struct CSquareRootTests {
    /// Every float in [1/4, 4) (the roots of all other finite floats are these scaled by a power
    /// of 2, but the double arithmetic is checked on them too: every 251st bit pattern), and the
    /// edges: ±0, the subnormals' ends, the largest float, ±infinity, quiet and signaling NaNs of
    /// both signs. Built with and without `-march=native`, where gcc contracts into FMA.
    @Test(arguments: [["-std=c99"], ["-std=gnu99", "-march=native"]])
    func matchesTheCLibraryBitForBit(flags: [String]) throws {
        let folder = try temporaryFolder("sqrt")
        defer { try? FileManager.default.removeItem(at: folder) }
        let program = ["#include <math.h>", "#include <stdint.h>", "#include <stdio.h>", "#include <string.h>", ""]
            + CPrinter.squareRoot + [
                "static int differs(uint32_t u)",
                "{",
                "    float x, expected, actual;",
                "    memcpy(&x, &u, sizeof x);",
                "    expected = sqrtf(x);",
                "    actual = adjoint_sqrtf(x);",
                "    if (memcmp(&expected, &actual, sizeof x) == 0) return 0;",
                "    printf(\"%08lx\\n\", (unsigned long)u);",
                "    return 1;",
                "}",
                "",
                "int main(void)",
                "{",
                "    static const uint32_t edges[] = {0x00000000, 0x80000000, 0x00000001, 0x007fffff, 0x00800000,",
                "        0x7f7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fbfffff,",
                "        0xbf800000, 0x80000001};",
                "    long failures = 0;",
                "    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; ++i) failures += differs(edges[i]);",
                "    for (uint32_t u = 0x3e800000; u < 0x40800000; ++u) failures += differs(u);",
                "    for (uint64_t u = 0; u <= 0xffffffffu; u += 251) failures += differs((uint32_t)u);",
                "    return failures != 0;",
                "}", "",
            ]
        try program.joined(separator: "\n").write(to: folder.appendingPathComponent("sqrt.c"), atomically: true, encoding: .utf8)
        let compile = try run("/usr/bin/cc", flags + ["-O3", "-Wall", "-Wextra", "-pedantic", "-Werror", "sqrt.c", "-o", "sqrt", "-lm"], in: folder)
        try #require(compile.status == 0, "cc failed:\n\(compile.errors)")
        let result = try run(folder.appendingPathComponent("sqrt").path, [], in: folder)
        #expect(result.status == 0, "adjoint_sqrtf differs from sqrtf at:\n\(result.output.prefix(400))")
    }

    /// The helper is in a source only when its kernels call it (clang's `-Wunused-function`
    /// warns of an unused static function): an Adam model has it, an SGD one not.
    @Test(arguments: [("adam", true), ("sgd", false)])
    func isPrintedOnlyWhereCalled(rule: String, printed: Bool) throws {
        let source = """
            dim batch
            input x: [batch, 3]
            input y: [batch, 2]
            param W: [3, 2]
            loss = mse(x @ W, y)
            minimize loss using \(rule)
            """
        let program = try checkedProgram(source, path: "root.adj")
        let kernels = ModelKernels(program, name: "root", modelPath: "root.adj", options: CodegenOptions())
        let c = CPrinter(kernels, precision: .float, tool: "adjoint test").source()
        #expect(c.contains("static inline float adjoint_sqrtf(float x)") == printed)
        #expect(c.contains("adjoint_sqrtf(s->") == printed)
    }

    /// gcc vectorizes an Adam update at `-O3` without `-fno-math-errno` (with `sqrtf` it keeps
    /// the loop scalar). Skipped where `cc` is not gcc.
    @Test func anAdamUpdateVectorizes() throws {
        let version = try run("/usr/bin/cc", ["--version"])
        guard version.output.contains("GCC") || version.output.contains("gcc") else { return }
        let folder = try temporaryFolder("sqrt-vector")
        defer { try? FileManager.default.removeItem(at: folder) }
        let program = ["#include <math.h>", "#include <stdint.h>", "#include <string.h>", ""] + CPrinter.squareRoot + [
            "void update(float *restrict w, const float *restrict m, const float *restrict v, float lr, int64_t n)",
            "{",
            "    for (int64_t i = 0; i < n; ++i) w[i] -= lr * m[i] / (adjoint_sqrtf(v[i]) + 1e-8f);",
            "}", "",
        ]
        try program.joined(separator: "\n").write(to: folder.appendingPathComponent("update.c"), atomically: true, encoding: .utf8)
        let compile = try run("/usr/bin/cc", ["-std=c99", "-O3", "-fopt-info-vec-optimized", "-c", "update.c", "-o", "update.o"], in: folder)
        try #require(compile.status == 0, "cc failed:\n\(compile.errors)")
        #expect(compile.errors.contains("loop vectorized"), "gcc did not vectorize the update:\n\(compile.errors)")
    }
}
