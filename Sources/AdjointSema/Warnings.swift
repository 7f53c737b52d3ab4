import AdjointSyntax

// MARK: - Warnings
extension Checker {
    /// The warnings about a program that checked: each declaration that hides a version 2
    /// built-in, then each param the minimized value does not use,
    /// directly or through named values, in declaration order. Its gradient is zero whatever the
    /// data, so training silently leaves it at its initial value; `v - v` and `0 * v` still count
    /// as uses (only the autodiff result knows they cancel), so a warning is never wrong.
    public static func warnings(_ program: CheckedProgram) -> [Diagnostic] {
        var used = Set<String>()
        namesUsed(by: program.objective.expr, into: &used)
        // A value only uses names declared before it, so one pass from the last value back reaches
        // everything the loss depends on.
        for value in program.values.reversed() where used.contains(value.name) {
            namesUsed(by: value.expr, into: &used)
        }
        let loss = program.objective.isNamed ? program.objective.name : nil
        let hidden = program.hiddenBuiltins.map { Diagnostic(.hidesBuiltin($0.name), at: $0.range) }
        return hidden
            + program.params.filter { !used.contains($0.name) }.map {
                Diagnostic(.unusedParam($0.name, loss: loss), at: $0.range)
            }
    }

    /// Adds the params and named values `expr` refers to. It walks with its own stack rather than
    /// by recursion: a long operator chain is an expression tree as deep as the chain is long.
    private static func namesUsed(by expr: TypedExpr, into names: inout Set<String>) {
        var pending = [expr]
        while let next = pending.popLast() {
            switch next.kind {
            case .param(let name), .value(let name): names.insert(name)
            case .constant, .input, .tensorConstant: break
            case .apply(_, let operands): pending.append(contentsOf: operands)
            case .chain(let first, let links):
                pending.append(first)
                pending.append(contentsOf: links.map(\.operand))
            }
        }
    }
}
