/// How a name from a model file (a param, a state slot, an input, a runtime dim, an output) becomes an
/// identifier of the generated C or Swift. One rule for both printers, with a list of reserved names
/// per language and per use (`CIdentifiers`, `SwiftIdentifiers`):
///
/// 1. A name of the form C keeps for the implementation everywhere (`__linux__`, `_X`, `_`), after any
///    leading `u`s, gets a `u` in front: `__linux__` gives `u__linux__`, `u_X` gives `uu_X`.
/// 2. A name whose stem (the name without its trailing underscores) is reserved gets one more `_`:
///    `SIZE_MAX` gives `SIZE_MAX_`, and `SIZE_MAX_` gives `SIZE_MAX__`.
///
/// Each step maps different names to different names, so two names of a model never meet after it,
/// and every other name is kept as the model file spells it (the formula comments always do).
enum NameMangling {
    static func mangled(_ name: String, reserved: (Substring) -> Bool) -> String {
        var result = name
        let afterPrefix = name.drop { $0 == "u" }
        if afterPrefix.first == "_" {
            let next = afterPrefix.dropFirst().first
            if next == nil || next == "_" || next!.isUppercase { result = "u" + result }
        }
        var stem = Substring(result)
        while stem.last == "_" { stem.removeLast() }
        return reserved(stem) ? result + "_" : result
    }

    /// The prefixes of the kernels' own variables, each followed by digits (`i0`, `v12`, `w3`, and
    /// the Swift kernels' `g0` and `size0`).
    static let generatedPrefixes: Set<Substring> = ["i", "v", "sum", "max", "lse", "total", "dot", "a", "w", "acc", "g", "size"]

    /// Whether a name has the form of one of the kernels' own variables.
    static func looksGenerated(_ name: Substring) -> Bool {
        // On UTF-8 bytes: called for every reference to an input or dim, so it is on the hot path
        // of printing large models. Names are ASCII identifiers (the lexer's rule).
        let bytes = name.utf8
        let letters = bytes.prefix { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0 | 0x20) }
        let digits = bytes.dropFirst(letters.count)
        return !digits.isEmpty && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            && generatedPrefixes.contains(Substring(letters))
    }
}

/// Identifiers in generated C (`NameMangling`'s rule). A struct field must not be a keyword or a
/// macro of the standard headers a user's program may include before `NAME.h` (`SIZE_MAX`, `linux`
/// in GNU mode, `st_atime`); a function's parameter must also not hide what the headers the
/// kernels include declare (`exp`, `size_t`), the kernels' own names (`p`, `count`, `i0`), the
/// model's own types (`NAME_grads`) or CBLAS's names.
enum CIdentifiers {
    /// C99 to C23, GNU C and C++ keywords (the header is also C++), and the macros of the headers.
    static let fieldReserved: Set<Substring> = {
        let keywords = """
            auto break case char const continue default do double else enum extern float for goto if inline int long
            register restrict return short signed sizeof static struct switch typedef union unsigned void volatile
            while alignas alignof bool constexpr false nullptr static_assert thread_local true typeof typeof_unqual asm
            NULL NAN INFINITY and and_eq bitand bitor catch char8_t char16_t char32_t class co_await co_return
            co_yield compl concept consteval constinit const_cast decltype delete dynamic_cast explicit export friend
            mutable namespace new noexcept not not_eq operator or or_eq private protected public reinterpret_cast
            requires static_cast template this throw try typeid typename using virtual wchar_t xor xor_eq
            """
        return Set(keywords.split(whereSeparator: \.isWhitespace)).union(ReservedNames.cMacros.map { Substring($0) })
    }()

    /// Besides the fields' list: the headers' declarations and the names the generated code gives
    /// its own variables and parameters (`workspace_size`'s `count` and `kernel`, `init`'s `state`).
    static let parameterReserved: Set<Substring> = fieldReserved.union(ReservedNames.cDeclarations.map { Substring($0) })
        .union(["p", "g", "s", "t", "workspace", "count", "kernel", "state", "seed", "i", "z", "u1", "u2", "main"])

    /// What follows `NAME_` in the names the generated C (and `fit`'s glue) declares at file scope.
    static let modelSymbols: Set<Substring> = [
        "params", "grads", "state", "init", "state_init", "workspace_size", "loss", "gradient", "apply", "step",
        "predict", "next", "uniform", "normal", "fit_params_size", "fit_state_size", "fit_predict",
    ]

    /// A name from the model file used as a struct field (a param or a state slot).
    static func field(_ name: String) -> String {
        NameMangling.mangled(name) { fieldReserved.contains($0) || $0.hasPrefix("ADJOINT_") || $0.hasPrefix("adjoint_") }
    }

    /// A name from the model file used as a function's parameter (an input, a runtime dim, an
    /// output) in the kernels of model `model`.
    static func user(_ name: String, model: String) -> String {
        NameMangling.mangled(name) { stem in
            parameterReserved.contains(stem) || stem.hasPrefix("ADJOINT_") || stem.hasPrefix("adjoint_") || NameMangling.looksGenerated(stem)
                || isBLASName(stem)
                || (stem.hasPrefix(model) && stem.dropFirst(model.count).first == "_"
                    && modelSymbols.contains(stem.dropFirst(model.count + 1)))
        }
    }

    /// Whether a name could clash with what `<cblas.h>` declares (`cblas_sgemm`, `CblasTrans`,
    /// `CBLAS_ORDER`, OpenBLAS's `openblas_set_num_threads`), which `--blas` output includes.
    static func isBLASName(_ name: Substring) -> Bool {
        ["cblas", "Cblas", "CBLAS", "openblas"].contains { name.hasPrefix($0) }
    }
}

/// Identifiers in generated Swift (`NameMangling`'s rule). A param's property is also the name of a
/// closure's parameter in the public methods, so it must not be a keyword, a name of the standard
/// library, Foundation or Dispatch (`Float`, `String`), one of the struct's own members (`step`,
/// `Grads`) or the public methods' own locals (`value`, `grads`). An input or a dim is a local
/// name in the kernels too, which also use `count`, `exp` and their generated `i0`, `v12`.
enum SwiftIdentifiers {
    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows", "static",
        "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default", "defer", "do",
        "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where", "while",
        "Any", "as", "await", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try", "_", "some",
        "any", "async", "consume", "copy", "borrowing", "consuming", "each", "macro", "package", "Type", "Protocol",
    ]

    /// The struct's own members, and the modules the generated code names (`Swift.max`).
    static let members: Set<Substring> = [
        "loss", "gradient", "apply", "step", "predict", "Grads", "scratch", "workspaceSize", "t", "Scratch",
        "SplitMix64", "ParamPointers", "StatePointers", "lossKernel", "gradientKernel", "applyKernel", "stepKernel",
        "predictKernel", "Swift", "Foundation", "Glibc", "Dispatch", "FoundationEssentials",
    ]

    /// What a property must not be called: also the public methods' and `init(seed:)`'s locals.
    static let fieldReserved: Set<Substring> = Set(keywords.map { Substring($0) }).union(members).union(ReservedNames.swiftTopLevel.map { Substring($0) })
        .union(["value", "grads", "bytes", "workspace", "seed", "random"])

    /// What a local must not be called: also the kernels' own names besides the generated `i0`, `v12`, `w3`.
    static let localReserved: Set<Substring> = fieldReserved.union([
        "p", "g", "s", "count", "stride", "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "log1p", "pow",
    ])

    /// A name from the model file used as a property of the struct (params, state slots).
    static func field(_ name: String) -> String {
        // `g0`, `g1`: the gradient's buffers in the public methods, beside the params' own.
        NameMangling.mangled(name) { fieldReserved.contains($0) || ($0.first == "g" && NameMangling.looksGenerated($0)) }
    }

    /// A name from the model file used as a local name (an input, a runtime dim, an output).
    static func user(_ name: String) -> String {
        NameMangling.mangled(name) { localReserved.contains($0) || NameMangling.looksGenerated($0) }
    }

    /// An argument label: any identifier but the few keywords Swift refuses as labels.
    static func label(_ name: String) -> String {
        ["inout", "var", "let", "_"].contains(name) ? name + "_" : name
    }

    /// The Swift type name for a model identifier, in UpperCamelCase: `digits` gives `Digits`,
    /// `my_net` gives `MyNet`, `mnist_mlp` gives `MnistMlp`. A name the user's module already sees
    /// (`String`, `Error`, `Data`, `Sendable`) or that the struct declares inside it (`Grads`) gets
    /// `Model` after it (`StringModel`): a struct of that name would hide it from the whole module.
    static func typeName(_ identifier: String) -> String {
        let parts = identifier.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }
        var name = parts.joined()
        if name.isEmpty { name = "Model" }
        if name.first!.isNumber { name = "Model" + name }
        if keywords.contains(name) || members.contains(Substring(name)) || ReservedNames.swiftTopLevel.contains(name) {
            name += "Model"
        }
        return name
    }
}
