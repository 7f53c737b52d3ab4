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

/// Identifiers in generated C: names from the model file are kept unless they are C keywords,
/// standard names the kernels use, or names of the kernels' own variables (`p`, `i0`, `v12`),
/// which get a trailing underscore.
enum CIdentifiers {
    static let reserved: Set<String> = [
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
        "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
        "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "_Bool",
        "_Complex", "_Imaginary", "bool", "true", "false", "NULL", "NAN", "INFINITY", "p", "g", "s", "workspace",
        "fabs", "fabsf", "fmax", "fmaxf", "pow", "powf", "log1p", "log1pf", "expf", "logf", "sqrtf", "sinf", "cosf",
        "tanhf", "memset", "memcpy", "size_t", "int64_t", "uint64_t", "main", "class", "new", "delete", "this",
        "template", "namespace", "operator", "private", "public", "protected", "virtual", "try", "catch", "throw",
    ]

    /// The prefixes of the kernels' own variables, each followed by digits (`i0`, `v12`, `w3`).
    static let generatedPrefixes: Set<String> = ["i", "v", "sum", "max", "lse", "total", "dot", "a", "w", "acc"]

    /// Whether a name has the form of one of the kernels' own variables.
    static func looksGenerated(_ name: String) -> Bool {
        // On UTF-8 bytes: called for every reference to an input or dim, so it is on the hot path
        // of printing large models. Names are ASCII identifiers (the lexer's rule).
        let bytes = name.utf8
        let letters = bytes.prefix { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0 | 0x20) }
        let digits = bytes.dropFirst(letters.count)
        return !digits.isEmpty && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            && generatedPrefixes.contains(String(decoding: letters, as: UTF8.self))
    }

    /// A name from the model file used as a bare identifier (an argument).
    static func user(_ name: String) -> String {
        reserved.contains(name) || looksGenerated(name) || isBLASName(name) ? name + "_" : name
    }

    /// Whether a name could clash with what `<cblas.h>` declares (`cblas_sgemm`, `CblasTrans`,
    /// `CBLAS_ORDER`, OpenBLAS's `openblas_set_num_threads`), which `--blas` output includes.
    static func isBLASName(_ name: String) -> Bool {
        ["cblas", "Cblas", "CBLAS", "openblas"].contains { name.hasPrefix($0) }
    }

    /// A name from the model file used as a struct field (only keywords clash).
    static func field(_ name: String) -> String { reserved.contains(name) && !["p", "g", "s", "workspace"].contains(name) ? name + "_" : name }
}
