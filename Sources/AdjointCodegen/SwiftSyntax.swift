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

/// Identifiers in generated Swift: names from the model file are kept unless they are Swift
/// keywords, names of the struct's own members, or names of the kernels' own variables (`p`,
/// `i0`, `v12`), which get a trailing underscore.
enum SwiftIdentifiers {
    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows", "static",
        "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default", "defer", "do",
        "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where", "while",
        "Any", "as", "await", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try", "_", "some",
        "any", "async", "consume", "copy", "borrowing", "consuming", "each", "macro", "package", "Type", "Protocol",
    ]

    /// The struct's own members, which a param or state property must not shadow.
    static let members: Set<String> = [
        "loss", "gradient", "apply", "step", "predict", "Grads", "scratch", "workspaceSize", "t", "Scratch",
        "SplitMix64", "ParamPointers", "StatePointers", "lossKernel", "gradientKernel", "applyKernel", "stepKernel",
        "predictKernel",
    ]

    /// Names the kernel bodies use for themselves, besides the generated `i0`, `v12`, `w3`.
    static let kernelNames: Set<String> = [
        "p", "g", "s", "t", "workspace", "scratch", "Float", "Double", "Int", "Int64", "Swift", "stride", "exp", "log",
        "sqrt", "abs", "sin", "cos", "tanh", "log1p", "pow", "grads", "random", "count", "bytes",
    ]

    /// A name from the model file used as a property of the struct (params, state slots).
    static func field(_ name: String) -> String {
        keywords.contains(name) || members.contains(name) ? name + "_" : name
    }

    /// A name from the model file used as a local name (an input, a runtime dim, an output).
    static func user(_ name: String) -> String {
        keywords.contains(name) || kernelNames.contains(name) || CIdentifiers.looksGenerated(name) ? name + "_" : name
    }

    /// An argument label: any identifier but the few keywords Swift refuses as labels.
    static func label(_ name: String) -> String {
        ["inout", "var", "let", "_"].contains(name) ? name + "_" : name
    }

    /// The Swift type name for a model identifier, in UpperCamelCase: `digits` gives `Digits`,
    /// `my_net` gives `MyNet`, `mnist_mlp` gives `MnistMlp`.
    static func typeName(_ identifier: String) -> String {
        let parts = identifier.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }
        var name = parts.joined()
        if name.isEmpty { name = "Model" }
        if name.first!.isNumber { name = "Model" + name }
        // Names of the standard types the generated code itself uses.
        if ["Float", "Double", "Int", "Int64", "UInt64", "Array", "Swift", "Foundation", "Self", "Type", "Any"]
            .contains(name)
        {
            name += "Model"
        }
        return name
    }
}
