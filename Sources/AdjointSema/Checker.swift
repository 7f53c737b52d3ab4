import AdjointIR
import AdjointSyntax

/// Semantic analysis: resolves names in declaration order, computes every shape with the op
/// table's shape rules, and checks sizes, initializers, `minimize` and the update rule. Like the
/// parser it does not throw: it returns the checked program (nil if anything is wrong) and every
/// diagnostic, each mistake reported once.
public struct Checker {
    /// Checks a parsed program. With an `errorLimit` (`--error-limit`; 0: none) it keeps only its
    /// first `errorLimit + 1` diagnostics: enough to print the limit and know there were more.
    public static func check(_ program: Program, errorLimit: Int = 0) -> (program: CheckedProgram?, diagnostics: [Diagnostic]) {
        var checker = Checker()
        checker.maxDiagnostics = Diagnostic.maxRecorded(errorLimit: errorLimit)
        let result = checker.run(program)
        return (checker.diagnostics.isEmpty ? result : nil, checker.diagnostics)
    }

    var symbols = SymbolTable()
    var diagnostics: [Diagnostic] = []
    private var maxDiagnostics = Int.max

    private var dims: [CheckedProgram.DimDecl] = []
    private var inputs: [CheckedProgram.InputDecl] = []
    private var params: [CheckedProgram.ParamDecl] = []
    private var constants: [CheckedProgram.ConstDecl] = []
    private var values: [CheckedProgram.ValueDecl] = []
    private var outputs: [Identifier] = []
    private var objective: CheckedProgram.Objective?
    private var minimizeRange: SourceRange?
    private var updateRule: UpdateRule?
    private var hiddenBuiltins: [Identifier] = []
    /// The diagnostic of each undeclared name's first use: later uses become its notes (a
    /// misspelt dim of a large model is one error, not one per use).
    private var undeclaredUses: [String: Int] = [:]

    mutating func report(_ message: DiagnosticMessage, at range: SourceRange, notes: [Diagnostic.Note] = []) {
        guard diagnostics.count < maxDiagnostics else { return }
        diagnostics.append(Diagnostic(message, at: range, notes: notes))
    }

    private mutating func run(_ program: Program) -> CheckedProgram? {
        for statement in program.statements {
            if let name = Self.declaredName(statement), symbols.declaredAnywhere[name.name] == nil {
                symbols.declaredAnywhere[name.name] = name.range
            }
        }
        var sawInvalid = false
        for statement in program.statements {
            switch statement.kind {
            case .dim(let name, let size): checkDim(name, size)
            case .input(let name, let elementType, let shape):
                // `float[...]` is the same as `[...]`.
                checkInput(name, shape, element: elementType?.kind == .int ? .int : .real)
            case .param(let name, let shape, let initializer): checkParam(name, shape, initializer)
            case .const(let name, nil, .number(let value)):
                if declare(name, .const(value.value)) {
                    constants.append(.init(name: name.name, value: value.value, range: statement.range))
                }
            case .const(let name, let shape, let value):
                if let constant = checkTensorConst(name, shape, value, range: statement.range) {
                    constants.append(constant)
                }
            case .assign(let name, let value): checkAssignment(name, value, statement.range)
            case .output(let names): checkOutputs(names)
            case .minimize(let expr, let rule): checkMinimize(expr, rule)
            case .invalid(let name):
                sawInvalid = true
                if let name, symbols[name.name] == nil { symbols.insert(name.name, .poisoned, at: name.range) }
            }
        }
        if minimizeRange == nil && !sawInvalid {
            report(.missingMinimize, at: SourceRange(start: 0, end: 0))
        }
        guard let objective, let updateRule else { return nil }
        return CheckedProgram(
            dims: dims, inputs: inputs, params: params, constants: constants, values: values,
            outputs: outputs.map(\.name), objective: objective, updateRule: updateRule, hiddenBuiltins: hiddenBuiltins)
    }

    private static func declaredName(_ statement: Statement) -> Identifier? {
        switch statement.kind {
        case .dim(let name, _), .input(let name, _, _), .param(let name, _, _), .const(let name, _, _),
            .assign(let name, _):
            return name
        case .invalid(let name): return name
        case .output, .minimize: return nil
        }
    }

    // MARK: - Names

    /// Adds a name; reports shadowing a built-in or a second declaration. Returns whether the
    /// declaration took effect. A name that version 2 made a built-in is hidden for the file, with
    /// a warning (version 1 files keep their meaning); version 1's built-ins stay reserved.
    @discardableResult
    mutating func declare(_ name: Identifier, _ symbol: Symbol) -> Bool {
        if Builtin.all[name.name] != nil {
            report(.shadowsBuiltin(name.name), at: name.range)
            return false
        }
        if let existing = symbols[name.name] {
            report(
                .redeclaration(name.name), at: name.range,
                notes: [Diagnostic.Note("'\(name.name)' is first declared here", at: existing.declaration)])
            return false
        }
        symbols.insert(name.name, symbol, at: name.range)
        if Builtin.version2[name.name] != nil || Builtin.version2Numbers[name.name] != nil { hiddenBuiltins.append(name) }
        return true
    }

    /// The symbol a use refers to, or nil after reporting why there is none (nothing is reported
    /// for a name whose declaration already had an error).
    mutating func lookup(_ name: Identifier) -> Symbol? {
        if let entry = symbols[name.name] {
            if case .poisoned = entry.symbol { return nil }
            return entry.symbol
        }
        if let later = symbols.declaredAnywhere[name.name] {
            report(
                .usedBeforeAssignment(name.name), at: name.range,
                notes: [Diagnostic.Note("'\(name.name)' is declared here, after its use", at: later)])
        } else if let first = undeclaredUses[name.name] {
            if first < diagnostics.count, diagnostics[first].notes.count < 3 {
                diagnostics[first].notes.append(Diagnostic.Note("'\(name.name)' is also used here", at: name.range))
            }
        } else {
            undeclaredUses[name.name] = diagnostics.count
            report(.undeclaredName(name.name, suggestion: symbols.suggestion(for: name.name)), at: name.range)
        }
        return nil
    }

    // MARK: - Statements

    private mutating func checkDim(_ name: Identifier, _ size: NumberLiteral?) {
        var value: Int?
        if let size {
            guard let checked = checkSize(size) else {
                declare(name, .poisoned)
                return
            }
            value = checked
        }
        if declare(name, .dim(size: value)) {
            dims.append(.init(name: name.name, size: value, range: name.range))
        }
    }

    private mutating func checkInput(_ name: Identifier, _ syntax: ShapeSyntax?, element: ElementType) {
        guard let shape = resolveShape(syntax) else {
            declare(name, .poisoned)
            return
        }
        if declare(name, .input(shape, element)) {
            inputs.append(.init(name: name.name, shape: shape, range: name.range, element: element))
        }
    }

    private mutating func checkParam(_ name: Identifier, _ syntax: ShapeSyntax?, _ initializerSyntax: InitializerSyntax?) {
        guard let shape = resolveShape(syntax) else {
            declare(name, .poisoned)
            return
        }
        if let syntax {
            for (size, dim) in zip(syntax.sizes, shape.dims) {
                if case .runtime(let dimName) = dim {
                    report(.runtimeDimInParam(dimName, param: name.name), at: size.range)
                    declare(name, .poisoned)
                    return
                }
            }
        }
        guard let initializer = checkInitializer(initializerSyntax, for: name.name, shape: shape) else {
            declare(name, .poisoned)
            return
        }
        if declare(name, .param(shape)) {
            params.append(.init(name: name.name, shape: shape, initializer: initializer, range: name.range))
        }
    }

    private mutating func checkAssignment(_ name: Identifier, _ value: Expr, _ range: SourceRange) {
        guard let typed = checkExpression(value) else {
            declare(name, .poisoned)
            return
        }
        let symbol = Symbol.value(
            typed.shape, typed.element, dependsOnParam: dependsOnParam(typed), reachesParam: reachesParam(typed))
        if declare(name, symbol) {
            values.append(.init(name: name.name, expr: typed, source: value, range: range))
        }
    }

    private mutating func checkOutputs(_ names: [Identifier]) {
        for name in names {
            guard let symbol = lookup(name) else { continue }
            guard case .value = symbol else {
                report(.invalidOutput(name.name, kind: symbol.kindDescription), at: name.range)
                continue
            }
            if let first = outputs.first(where: { $0.name == name.name }) {
                report(
                    .duplicateOutput(name.name), at: name.range,
                    notes: [Diagnostic.Note("'\(name.name)' is first listed here", at: first.range)])
                continue
            }
            outputs.append(name)
        }
    }

    private mutating func checkMinimize(_ expr: Expr, _ ruleSyntax: UpdateRuleSyntax?) {
        if let first = minimizeRange {
            report(.duplicateMinimize, at: expr.range, notes: [Diagnostic.Note("the first 'minimize' is here", at: first)])
            return
        }
        minimizeRange = expr.range
        let rule = checkUpdateRule(ruleSyntax)
        guard let typed = checkExpression(expr) else { return }
        guard typed.shape.isScalar else {
            report(.minimizeNotScalar(typed.shape.description), at: expr.range)
            return
        }
        guard dependsOnParam(typed) else {
            report(reachesParam(typed) ? .intNoGradient : .minimizeNoParam, at: expr.range)
            return
        }
        guard let rule else { return }
        var name = unusedObjectiveName()
        var isNamed = false
        if case .name(let identifier) = expr.kind {
            name = identifier.name
            isNamed = true
        }
        objective = .init(name: name, expr: typed, source: expr, isNamed: isNamed)
        updateRule = rule
    }

    /// The name printed formulas give an unnamed objective (`minimize sum(q) + loss`): `loss`,
    /// unless the model declares that name itself, then `objective`, then `loss_2`, `loss_3`, ...,
    /// so that `∂loss/∂w` never means two different things.
    func unusedObjectiveName() -> String {
        for candidate in ["loss", "objective"] where symbols[candidate] == nil { return candidate }
        var suffix = 2
        while symbols["loss_\(suffix)"] != nil { suffix += 1 }
        return "loss_\(suffix)"
    }

    /// Whether a gradient can flow from `expr` to some param: not through an `int` tensor (ids,
    /// labels), which has no gradient.
    func dependsOnParam(_ expr: TypedExpr) -> Bool {
        guard expr.element == .real else { return false }
        switch expr.kind {
        case .param: return true
        case .constant, .input, .tensorConstant: return false
        case .value(let name):
            if case .value(_, _, let depends, _)? = symbols[name]?.symbol { return depends }
            return false
        case .apply(_, let operands): return operands.contains(where: dependsOnParam)
        case .chain(let first, let links): return dependsOnParam(first) || links.contains { dependsOnParam($0.operand) }
        }
    }

    /// Whether `expr` uses a param at all, through `int` tensors too.
    func reachesParam(_ expr: TypedExpr) -> Bool {
        switch expr.kind {
        case .param: return true
        case .constant, .input, .tensorConstant: return false
        case .value(let name):
            if case .value(_, _, _, let reaches)? = symbols[name]?.symbol { return reaches }
            return false
        case .apply(_, let operands): return operands.contains(where: reachesParam)
        case .chain(let first, let links): return reachesParam(first) || links.contains { reachesParam($0.operand) }
        }
    }
}
