import AdjointAutodiff
import AdjointIR
import AdjointInterpreter
import AdjointSema
import AdjointSyntax
import Testing

/// Parses and checks a model held in memory; fails the test on any diagnostic.
func checkedProgram(_ text: String) throws -> CheckedProgram {
    let (program, parse) = Parser.parse(SourceFile(path: "t.adj", text: text))
    let (checked, diagnostics) = Checker.check(program)
    #expect(parse.isEmpty && diagnostics.isEmpty, "\(parse + diagnostics)")
    return try #require(checked)
}

/// A deterministic stream of doubles for test points (SplitMix64).
struct TestRandom {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * Double(next() >> 11) * 0x1.0p-53
    }

    mutating func tensor(_ sizes: [Int], _ low: Double, _ high: Double) -> Tensor {
        Tensor(sizes: sizes, scalars: (0..<sizes.reduce(1, *)).map { _ in uniform(low, high) })
    }
}

func dot(_ a: Tensor, _ b: Tensor) -> Double { zip(a.scalars, b.scalars).reduce(0) { $0 + $1.0 * $1.1 } }

/// ‖a − b‖∞ / max(‖a‖∞, ‖b‖∞), 0 when both are zero.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    let difference = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    let scale = max(a.map(abs).max() ?? 0, b.map(abs).max() ?? 0)
    return scale == 0 ? difference : difference / scale
}
