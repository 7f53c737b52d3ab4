import AdjointIR

/// The element type of generated kernels (`--precision`).
public enum Precision: String, Sendable, CaseIterable {
    /// `--precision float` (the default): 32-bit elements.
    case float
    /// `--precision double`: 64-bit elements.
    case double

    /// The C type.
    public var cType: String { rawValue }
    /// The size of one element in bytes.
    public var bytes: Int { self == .float ? 4 : 8 }
}

/// C's spellings of numbers and math functions for one element type: `expf` and `1.5f` for
/// float, `exp` and `1.5` for double.
struct CSyntax: ScalarSyntax {
    var precision: Precision

    func call(_ function: MathFunction, _ arguments: String...) -> String {
        let base: String
        switch function {
        case .abs: base = "fabs"
        case .max: base = "fmax"
        // In float, the kernels' own square root, which vectorizes (`CPrinter.squareRoot`).
        case .sqrt where precision == .float: return "adjoint_sqrtf(\(arguments.joined(separator: ", ")))"
        default: base = function.rawValue
        }
        return "\(base)\(precision == .float ? "f" : "")(\(arguments.joined(separator: ", ")))"
    }

    /// The shortest text that reads back as the same double (Swift's `description`), with `f`
    /// for float; negative numbers in parentheses so they can follow any operator.
    func literal(_ value: Double) -> String {
        if value.isNaN { return "NAN" }
        if value.isInfinite { return value < 0 ? "(-INFINITY)" : "INFINITY" }
        let text = "\(value)" + (precision == .float ? "f" : "")
        return value < 0 || (value == 0 && value.sign == .minus) ? "(\(text))" : text
    }
}
