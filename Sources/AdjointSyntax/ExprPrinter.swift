/// Prints an expression back as source text with canonical spacing and only the parentheses that
/// precedence needs: `relu(x @ W1 + b1)`, `(target - f)^2`, `-x^2`, `x[:, 0:4]`, `concat([a, b], axis = 0)`.
public enum ExprPrinter {
    public static func print(_ expr: Expr) -> String {
        switch expr.kind {
        case .number(let literal):
            return literal.text
        case .name(let identifier):
            return identifier.name
        case .negate(let operand):
            // `-x^2` needs no parentheses; `-(a + b)` and `-(-x)` do.
            return "-" + wrap(operand, if: strength(of: operand) < Strength.power)
        case .chain(let first, let links):
            // Left to right: `(a - b) - c` prints as `a - b - c`, `a - (b - c)` keeps its parentheses.
            let own = strength(of: expr)
            // A comparison's operands are sums or tighter: `(a < b) == c` keeps its parentheses.
            var text = wrap(first, if: strength(of: first) < own || (own == Strength.comparison && strength(of: first) == own))
            for link in links {
                text += " \(link.op.rawValue) " + wrap(link.operand, if: strength(of: link.operand) <= own)
            }
            return text
        case .power(let base, let exponent):
            // Right-associative: `(a^b)^c` keeps its parentheses, `a^b^c` and `a^-b` need none.
            let left = wrap(base, if: strength(of: base) <= Strength.power)
            let right = wrap(exponent, if: strength(of: exponent) < Strength.negate)
            return left + "^" + right
        case .call(let callee, let arguments):
            let list = arguments.map { argument in
                (argument.label.map { "\($0.name) = " } ?? "") + print(argument.value)
            }
            return "\(callee.name)(\(list.joined(separator: ", ")))"
        case .index(let base, let items):
            // `(a + b)[0]` and `(-x)[0]` keep their parentheses; `f(x)[0]` and `x[0][1:]` need none.
            let list = items.map(print).joined(separator: ", ")
            return wrap(base, if: strength(of: base) < Strength.primary) + "[\(list)]"
        case .list(let elements):
            return "[" + elements.map(print).joined(separator: ", ") + "]"
        }
    }

    /// One index item: `0`, `1:4`, `:`, `::2`, `...`. A slice's missing parts print as nothing.
    private static func print(_ item: IndexItem) -> String {
        switch item {
        case .expression(let expr):
            return print(expr)
        case .slice(let start, let stop, let step, _):
            let bounds = (start.map(print) ?? "") + ":" + (stop.map(print) ?? "")
            return step.map { bounds + ":" + print($0) } ?? bounds
        case .ellipsis:
            return "..."
        }
    }

    /// Binding strength of each printed form, loosest first.
    private enum Strength {
        static let comparison = 0
        static let additive = 1
        static let multiplicative = 2
        static let negate = 3
        static let power = 4
        static let primary = 5
    }

    private static func strength(of op: BinaryOperator) -> Int {
        switch op {
        case .add, .subtract: return Strength.additive
        case .multiply, .divide, .matmul: return Strength.multiplicative
        case .power: return Strength.power
        case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: return Strength.comparison
        }
    }

    private static func strength(of expr: Expr) -> Int {
        switch expr.kind {
        case .number(let literal): return literal.value < 0 ? Strength.negate : Strength.primary
        case .name, .call, .index, .list: return Strength.primary
        case .negate: return Strength.negate
        case .chain(let first, let links): return links.first.map { strength(of: $0.op) } ?? strength(of: first)
        case .power: return Strength.power
        }
    }

    private static func wrap(_ expr: Expr, if needed: Bool) -> String {
        needed ? "(\(print(expr)))" : print(expr)
    }
}
