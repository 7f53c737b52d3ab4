import AdjointIR
import AdjointSyntax

extension Checker {
    /// Turns the op table's `ShapeError` into a diagnostic in the user's terms.
    mutating func reportShapeError(
        _ error: ShapeError, op: Op, operands: [TypedExpr], sources: [Expr], at range: SourceRange, axisRange: SourceRange?,
        calledAs name: String? = nil
    ) {
        // The function as written: `trace`, not the `diagonal` it starts with.
        let what = "'\(name ?? op.name)'"
        let notes = operandNotes(op: op, operands: operands, sources: sources)
        switch error {
        case .cannotBroadcast(let a, let b):
            report(.shapeMismatch("shapes \(a) and \(b) cannot be broadcast together for \(what)"), at: range, notes: notes)
        case .matmulInner(let a, let b):
            report(
                .shapeMismatch(
                    "cannot multiply \(a) by \(b): the left operand's last size \(a.dims.last!) differs from the right operand's \(b.rank > 2 ? "second to last" : "first") size \(b.dims[max(b.rank - 2, 0)])"
                ), at: range, notes: notes)
        case .matmulBatch(let a, let b):
            report(.shapeMismatch("cannot multiply \(a) by \(b): the batch axes before the last two cannot be broadcast together"), at: range, notes: notes)
        case .permutation(let axes, let rank):
            report(.invalidRank("\(what) needs a permutation of the \(rank) axes, got \(axes)"), at: range, notes: notes)
        case .rank(let index, let needs, let got):
            report(.invalidRank("\(what) needs \(needs), but operand \(index + 1) has shape \(got)"), at: range, notes: notes)
        case .axis(let axis, let rank):
            report(.axisOutOfRange(axis, rank: rank), at: axisRange ?? range, notes: notes)
        case .shapesDiffer(let a, let b):
            report(.shapeMismatch("\(what) needs both arguments to have the same shape, got \(a) and \(b)"), at: range, notes: notes)
        case .index(let axis, let index, let size):
            report(.shapeMismatch("index \(index) is out of range for axis \(axis) of size \(size) in \(what)"), at: range, notes: notes)
        }
    }

    /// "'W2' has shape [32, 10]" at its declaration for a name, at the operand otherwise.
    private func operandNotes(op: Op, operands: [TypedExpr], sources: [Expr]) -> [Diagnostic.Note] {
        let positions: [String]
        if case .arithmetic = op, op.name.first?.isLetter == false {
            positions = ["left operand", "right operand"]
        } else if case .linearAlgebra(.matmul) = op {
            positions = ["left operand", "right operand"]
        } else {
            positions = ["argument 1", "argument 2", "argument 3"]
        }
        return zip(zip(operands, sources), positions).map { pair, position in
            let (operand, source) = pair
            if case .name(let name) = source.kind, let declaration = symbols[name.name]?.declaration {
                return Diagnostic.Note("\(position) '\(name.name)' has shape \(operand.shape), declared here", at: declaration)
            }
            return Diagnostic.Note("\(position) has shape \(operand.shape)", at: source.range)
        }
    }
}
