import AdjointIR

extension Precision {
    /// The Swift type: `Float` or `Double`.
    public var swiftType: String { self == .float ? "Float" : "Double" }
}

/// Swift's spellings of numbers and math functions for one element type: the generic `exp`,
/// `log`, `abs` of the standard library and Foundation (which call the same C math library as
/// the C kernels), `Float.maximum` for C's `fmax`, and literals that take their type from the
/// context (`0.5`, `(-1.0)`, `Float.infinity`).
struct SwiftSyntax: ScalarSyntax {
    var precision: Precision

    func call(_ function: MathFunction, _ arguments: String...) -> String {
        let list = arguments.joined(separator: ", ")
        switch function {
        // IEEE maximum, like fmax: a NaN operand loses to a number.
        case .max: return "\(precision.swiftType).maximum(\(list))"
        default: return "\(function.rawValue)(\(list))"
        }
    }

    /// The shortest text that reads back as the same double; negative numbers in parentheses so
    /// they can follow any operator.
    func literal(_ value: Double) -> String {
        let type = precision.swiftType
        if value.isNaN { return "\(type).nan" }
        if value.isInfinite { return value < 0 ? "(-\(type).infinity)" : "\(type).infinity" }
        let text = "\(value)"
        return value < 0 || (value == 0 && value.sign == .minus) ? "(\(text))" : text
    }
}
