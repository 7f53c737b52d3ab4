/// Every diagnostic the front end can report, with a stable identifier. The identifiers are the
/// contract (fixtures and tests match them, and grammar/README.md lists them); the wording may
/// improve. Messages are lowercase, without a final period, and quote the source text.
public enum DiagnosticID: String, CaseIterable, Sendable {
    // lexical
    case unexpectedCharacter = "unexpected-character"
    case malformedNumber = "malformed-number"
    case numberOutOfRange = "number-out-of-range"
    // syntax
    case expectedExpression = "expected-expression"
    case expectedIdentifier = "expected-identifier"
    case expectedToken = "expected-token"
    case expectedStatement = "expected-statement"
    case extraTokens = "extra-tokens"
    case nestingTooDeep = "nesting-too-deep"
    case listLiteralPosition = "list-literal-position"
    case ellipsisPosition = "ellipsis-position"
    case invalidSlice = "invalid-slice"
    case chainedComparison = "chained-comparison"
    case unknownElementType = "unknown-element-type"
    // names
    case undeclaredName = "undeclared-name"
    case usedBeforeAssignment = "used-before-assignment"
    case redeclaration = "redeclaration"
    case shadowsBuiltin = "shadows-builtin"
    case notASize = "not-a-size"
    // sizes and shapes
    case nonIntegerSize = "non-integer-size"
    case invalidSize = "invalid-size"
    case sizeOverflow = "size-overflow"
    case rankTooHigh = "rank-too-high"
    case runtimeDimInParam = "runtime-dim-in-param"
    case shapeMismatch = "shape-mismatch"
    case invalidRank = "invalid-rank"
    case axisOutOfRange = "axis-out-of-range"
    // calls
    case unknownFunction = "unknown-function"
    case argumentCount = "argument-count"
    case unknownArgument = "unknown-argument"
    case duplicateArgument = "duplicate-argument"
    case missingArgument = "missing-argument"
    case invalidArgument = "invalid-argument"
    // initializers
    case unknownInitializer = "unknown-initializer"
    case invalidInitializer = "invalid-initializer"
    // minimize and update rules
    case missingMinimize = "missing-minimize"
    case duplicateMinimize = "duplicate-minimize"
    case minimizeNotScalar = "minimize-not-scalar"
    case minimizeNoParam = "minimize-no-param"
    case unknownUpdateRule = "unknown-update-rule"
    case unknownHyperparameter = "unknown-hyperparameter"
    case duplicateHyperparameter = "duplicate-hyperparameter"
    case hyperparameterOutOfRange = "hyperparameter-out-of-range"
    // outputs
    case invalidOutput = "invalid-output"
    case duplicateOutput = "duplicate-output"
    // version 2: element types, indexing, shapes and constants
    case intParam = "int-param"
    case intNoGradient = "int-no-gradient"
    case indexOutOfRange = "index-out-of-range"
    case emptySlice = "empty-slice"
    case runtimeSizeIndex = "runtime-size-index"
    case tooManyIndices = "too-many-indices"
    case invalidIndex = "invalid-index"
    case floatIndex = "float-index"
    case mixedGather = "mixed-gather"
    case reshapeCount = "reshape-count"
    case invalidConst = "invalid-const"
    case constShapeMismatch = "const-shape-mismatch"
    case notAPermutation = "not-a-permutation"
    // warnings
    case unusedParam = "unused-param"
    case hidesBuiltin = "hides-builtin"

    /// Whether a diagnostic with this identifier stops compilation. Warnings never do: they
    /// print, and the output and exit status stay what they would have been.
    public var severity: Diagnostic.Severity {
        switch self {
        case .unusedParam, .hidesBuiltin: return .warning
        default: return .error
        }
    }
}

/// A diagnostic's identifier and text, made by one of the factories below.
public struct DiagnosticMessage: Sendable {
    public var id: DiagnosticID
    public var text: String

    init(_ id: DiagnosticID, _ text: String) {
        self.id = id
        self.text = Self.shorteningLongWords(text)
    }

    /// Longer runs of characters without a space are shortened in the middle.
    static let maxWordLength = 80

    /// Messages quote source text (a number, a name), and source text may be a megabyte on one
    /// line: a run longer than `maxWordLength` keeps its first 40 and last 20 characters around
    /// `...`, so that a message, like the quoted line under it, stays short.
    static func shorteningLongWords(_ text: String) -> String {
        guard text.utf8.count > maxWordLength else { return text }
        return text.split(separator: " ", omittingEmptySubsequences: false).map { word in
            word.count > maxWordLength ? word.prefix(40) + "..." + word.suffix(20) : String(word)
        }.joined(separator: " ")
    }
}

// MARK: - Lexical

extension DiagnosticMessage {
    static func unexpectedCharacter(_ shown: String) -> Self {
        Self(.unexpectedCharacter, "unexpected character \(shown)")
    }
    static func malformedNumber(_ text: String) -> Self {
        Self(.malformedNumber, "malformed number '\(text)'")
    }
    static func numberOutOfRange(_ text: String) -> Self {
        Self(.numberOutOfRange, "number '\(text)' is too large")
    }
}

// MARK: - Syntax

extension DiagnosticMessage {
    static func expectedExpression(found: String) -> Self {
        Self(.expectedExpression, "expected an expression, found \(found)")
    }
    static func expectedIdentifier(_ what: String, found: String) -> Self {
        Self(.expectedIdentifier, "expected \(what), found \(found)")
    }
    static func expectedToken(_ expected: String, _ context: String, found: String) -> Self {
        Self(.expectedToken, "expected \(expected) \(context), found \(found)")
    }
    static func expectedStatement(found: String, suggestion: String? = nil) -> Self {
        Self(
            .expectedStatement,
            "expected a statement (dim, input, param, const, output, minimize or NAME = EXPR), found \(found)"
                + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
    }
    static func extraTokens(found: String) -> Self {
        Self(.extraTokens, "expected end of line after the statement, found \(found)")
    }
    static func nestingTooDeep(limit: Int) -> Self {
        Self(.nestingTooDeep, "expression is nested more than \(limit) levels deep; name some parts of it")
    }
    /// `a < b < c`: comparisons do not chain (version 2).
    static func chainedComparison(_ op: String) -> Self {
        Self(.chainedComparison, "comparisons do not chain: '\(op)' follows another comparison; write '(a < b) * (b < c)' for both")
    }

    static var listLiteralPosition: Self {
        Self(.listLiteralPosition, "a list literal is allowed only as a call argument or a const's value")
    }
    static var ellipsisPosition: Self {
        Self(.ellipsisPosition, "'...' is allowed only inside an index, as in 'h[..., -1]'")
    }
    static var sliceTooManyColons: Self {
        Self(.invalidSlice, "a slice has at most two ':' (start:stop:step)")
    }
    static func unknownElementType(_ name: String) -> Self {
        Self(.unknownElementType, "unknown element type '\(name)' (expected 'int' or 'float')")
    }
}

// MARK: - Names

extension DiagnosticMessage {
    /// `suggestion` is a declared name close to the misspelled one, if any.
    public static func undeclaredName(_ name: String, suggestion: String?) -> Self {
        Self(.undeclaredName, "'\(name)' is not declared" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
    }
    public static func usedBeforeAssignment(_ name: String) -> Self {
        Self(.usedBeforeAssignment, "'\(name)' is used before it is declared")
    }
    public static func redeclaration(_ name: String) -> Self {
        Self(.redeclaration, "'\(name)' is already declared")
    }
    public static func shadowsBuiltin(_ name: String) -> Self {
        Self(.shadowsBuiltin, "'\(name)' is a built-in function and cannot be redeclared")
    }
    public static func notASize(_ name: String, kind: String) -> Self {
        Self(.notASize, "'\(name)' is \(kind), not a dim; a size must be an integer or a dim name")
    }
}

// MARK: - Sizes and shapes

extension DiagnosticMessage {
    public static func nonIntegerSize(_ text: String) -> Self {
        Self(.nonIntegerSize, "expected an integer size, found '\(text)'")
    }
    public static func invalidSize(_ text: String) -> Self {
        Self(.invalidSize, "size '\(text)' must be at least 1")
    }
    public static func sizeOverflow(_ shape: String) -> Self {
        Self(.sizeOverflow, "shape \(shape) has too many elements")
    }
    public static func rankTooHigh(_ rank: Int) -> Self {
        Self(.rankTooHigh, "rank \(rank) is too high; tensors have rank 0 to 4")
    }
    public static func runtimeDimInParam(_ dim: String, param: String) -> Self {
        Self(.runtimeDimInParam, "param '\(param)' cannot use runtime dim '\(dim)'; a param's size is fixed at compile time")
    }
    public static func shapeMismatch(_ text: String) -> Self { Self(.shapeMismatch, text) }
    public static func invalidRank(_ text: String) -> Self { Self(.invalidRank, text) }
    /// `transpose(x, axes = [0, 0, 1])`: axes that do not name each axis once.
    public static func notAPermutation(_ axes: [Int], rank: Int) -> Self {
        Self(.notAPermutation, "'axes' must name each of the \(rank) axes once (a permutation of 0..\(rank - 1)), got \(axes)")
    }
    public static func axisOutOfRange(_ axis: Int, rank: Int) -> Self {
        Self(
            .axisOutOfRange,
            rank == 0
                ? "axis \(axis) is out of range: a scalar has no axes"
                : "axis \(axis) is out of range for a rank-\(rank) tensor (valid: \(-rank) to \(rank - 1))")
    }
}

// MARK: - Calls

extension DiagnosticMessage {
    public static func unknownFunction(_ name: String, suggestion: String?) -> Self {
        Self(.unknownFunction, "unknown function '\(name)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
    }
    public static func notAFunction(_ name: String, kind: String) -> Self {
        Self(.unknownFunction, "'\(name)' is \(kind), not a function")
    }
    /// A call of a version 2 built-in that a declaration in the file hides.
    public static func hiddenBuiltinCall(_ name: String) -> Self {
        Self(.unknownFunction, "'\(name)' is declared in this file, which hides the built-in function '\(name)'")
    }
    public static func argumentCount(_ function: String, expected: String, got: Int) -> Self {
        Self(.argumentCount, "'\(function)' takes \(expected), got \(got)")
    }
    public static func unknownArgument(_ label: String, function: String, valid: [String]) -> Self {
        Self(
            .unknownArgument,
            "'\(function)' has no argument '\(label)'"
                + (valid.isEmpty ? "" : " (its arguments: \(valid.joined(separator: ", ")))"))
    }
    public static func duplicateArgument(_ label: String) -> Self {
        Self(.duplicateArgument, "argument '\(label)' is given twice")
    }
    public static func missingArgument(_ label: String, function: String) -> Self {
        Self(.missingArgument, "'\(function)' needs argument '\(label)'")
    }
    public static func invalidArgument(_ text: String) -> Self { Self(.invalidArgument, text) }
}

// MARK: - Initializers

extension DiagnosticMessage {
    public static func unknownInitializer(_ name: String, valid: [String]) -> Self {
        Self(.unknownInitializer, "unknown initializer '\(name)' (expected a number or one of \(valid.joined(separator: ", ")))")
    }
    public static func invalidInitializer(_ text: String) -> Self { Self(.invalidInitializer, text) }
}

// MARK: - Minimize and update rules

extension DiagnosticMessage {
    public static var missingMinimize: Self {
        Self(.missingMinimize, "the model has no 'minimize' statement; add 'minimize LOSS'")
    }
    public static var duplicateMinimize: Self {
        Self(.duplicateMinimize, "a model has exactly one 'minimize' statement")
    }
    public static func minimizeNotScalar(_ shape: String) -> Self {
        Self(.minimizeNotScalar, "'minimize' needs a scalar, but this has shape \(shape); reduce it with sum or mean")
    }
    public static var minimizeNoParam: Self {
        Self(.minimizeNoParam, "this does not depend on any param, so there is nothing to train")
    }
    public static func unknownUpdateRule(_ name: String, valid: [String]) -> Self {
        Self(.unknownUpdateRule, "unknown update rule '\(name)' (expected one of \(valid.joined(separator: ", ")))")
    }
    public static func unknownHyperparameter(_ name: String, rule: String, valid: [String]) -> Self {
        Self(
            .unknownHyperparameter,
            "'\(rule)' has no hyper-parameter '\(name)' (its hyper-parameters: \(valid.joined(separator: ", ")))")
    }
    public static func duplicateHyperparameter(_ name: String) -> Self {
        Self(.duplicateHyperparameter, "hyper-parameter '\(name)' is given twice")
    }
    public static func hyperparameterOutOfRange(_ name: String, value: String, requirement: String) -> Self {
        Self(.hyperparameterOutOfRange, "\(name) = \(value) is out of range: \(requirement)")
    }
}

// MARK: - Outputs

extension DiagnosticMessage {
    public static func invalidOutput(_ name: String, kind: String) -> Self {
        Self(.invalidOutput, "'\(name)' is \(kind); an output must be a named value (NAME = EXPR)")
    }
    public static func duplicateOutput(_ name: String) -> Self {
        Self(.duplicateOutput, "'\(name)' is already an output")
    }
}

// MARK: - Warnings

extension DiagnosticMessage {
    /// `loss` is the minimized value's name, nil when `minimize` is given an unnamed expression.
    public static func unusedParam(_ name: String, loss: String?) -> Self {
        Self(
            .unusedParam,
            "param '\(name)' does not affect the loss\(loss.map { " '\($0)'" } ?? ""); its gradient is always zero")
    }
}

// MARK: - Version 2: element types, indexing, shapes and constants

extension DiagnosticMessage {
    public static func intParam(_ name: String) -> Self {
        Self(.intParam, "param '\(name)' cannot be 'int': params are trained by their gradient, and an int has none")
    }
    public static var intNoGradient: Self {
        Self(
            .intNoGradient,
            "this depends on a param only through an 'int' tensor, which has no gradient, so there is nothing to train")
    }
    /// `what`: `index 4`, `slice bound 7`; `size`: the axis's size (`4`, `batch`); `valid`: what
    /// would fit, if that can be said (`-4 to 3`).
    public static func indexOutOfRange(_ what: String, axis: Int, size: String, valid: String?) -> Self {
        Self(.indexOutOfRange, "\(what) is out of range for axis \(axis) of size \(size)" + (valid.map { " (valid: \($0))" } ?? ""))
    }
    public static func emptySlice(_ slice: String, axis: Int, size: Int) -> Self {
        Self(.emptySlice, "slice '\(slice)' of axis \(axis) (size \(size)) selects no elements")
    }
    public static func runtimeSizeIndex(_ item: String, axis: Int, dim: String) -> Self {
        Self(
            .runtimeSizeIndex,
            "'\(item)' cannot index axis \(axis): its size '\(dim)' is known only at run time, so only ':', '0' and '-1' are sure to fit")
    }
    public static func tooManyIndices(_ count: Int, shape: String, rank: Int) -> Self {
        Self(.tooManyIndices, "\(count) indices for a tensor of shape \(shape), which has \(rank) ax\(rank == 1 ? "is" : "es")")
    }
    public static func invalidIndex(_ text: String) -> Self { Self(.invalidIndex, text) }
    public static func floatIndex(_ shape: String) -> Self {
        Self(.floatIndex, "ids must be an 'int' tensor, but this is a float tensor of shape \(shape); declare it 'input NAME: int[...]'")
    }
    public static func mixedGather(_ position: Int) -> Self {
        Self(
            .mixedGather,
            "an 'int' tensor index must be the only index; to gather along axis \(position) write 'take(a, ids, axis = \(position))'")
    }
    public static func reshapeCount(from: String, _ fromCount: String, to: String, _ toCount: String) -> Self {
        Self(.reshapeCount, "cannot reshape \(from) (\(fromCount) elements) to \(to) (\(toCount) elements)")
    }
    /// A `-1` that no size fills: `known` is the count of the other sizes.
    public static func reshapeNoFit(from: String, _ fromCount: String, to: String, known: String) -> Self {
        Self(
            .reshapeCount,
            "cannot reshape \(from) (\(fromCount) elements) to \(to): no size for -1 times the other sizes (\(known)) gives \(fromCount)")
    }
    public static func invalidConst(_ text: String) -> Self { Self(.invalidConst, text) }
    public static func constShapeMismatch(_ text: String) -> Self { Self(.constShapeMismatch, text) }
    public static func hidesBuiltin(_ name: String) -> Self {
        Self(.hidesBuiltin, "'\(name)' hides the version 2 built-in of that name in this file")
    }
}

// MARK: - The error limit

extension DiagnosticMessage {
    /// The last line printed when a file has more errors than the error limit (a line of its own,
    /// not a diagnostic: it points at no place in the file).
    public static func tooManyErrors(limit: Int) -> String {
        "adjoint: error: too many errors emitted, stopping now (limit \(limit); --error-limit 0 shows every error)"
    }
}
