import AdjointIR
import Foundation

/// Prints formulas as Unicode text (`2 xᵀ(x W − y)`) or LaTeX (`2 x^\top (x W - y)`), with only
/// the parentheses precedence needs.
public enum FormulaPrinter {
    /// The output notation.
    public enum Notation: Sendable {
        case text, latex
    }

    public static func print(_ formula: Formula, _ notation: Notation = .text) -> String {
        Printer(notation: notation).print(formula)
    }

    private struct Printer {
        let notation: Notation
        var latex: Bool { notation == .latex }

        /// Binding strength, loosest first.
        func level(_ formula: Formula) -> Int {
            switch formula {
            case .add, .subtract: return 1
            case .quotient where latex: return 5  // \frac{a}{b} is a single box
            case .product, .hadamard, .quotient: return 2
            case .negate, .reduce, .scatter: return 3
            case .number(let value): return value < 0 ? 3 : 5
            case .power, .transpose: return 4
            // A gradient's name `∂loss/∂W` reads as a quotient: `(∂loss/∂W)²`.
            case .symbol(let name) where name.contains("/"): return 4
            case .symbol, .call, .indicator, .list: return 5
            case .subscripted: return 5
            }
        }

        func wrap(_ formula: Formula, below minimum: Int) -> String {
            let text = print(formula)
            guard level(formula) < minimum else { return text }
            return latex ? "\\left(\(text)\\right)" : "(\(text))"
        }

        func print(_ formula: Formula) -> String {
            switch formula {
            case .symbol(let name): return latex ? latexName(name) : name
            case .number(let value):
                // 15 significant digits: 1 − 0.9 prints as 0.1, not 0.09999999999999998.
                if value.isInfinite && latex { return value < 0 ? "-\\infty" : "\\infty" }
                let text = formatNumber(Double(String(format: "%.15g", value)) ?? value)
                return latex ? text : text.replacingOccurrences(of: "-", with: "−")
            case .add(let a, let b): return "\(print(a)) + \(wrap(b, below: 2))"
            case .subtract(let a, let b): return "\(print(a)) \(latex ? "-" : "−") \(wrap(b, below: 2))"
            case .negate(let a): return (latex ? "-" : "−") + wrap(a, below: 4)
            case .product(let a, let b):
                // Juxtaposition: scalar factors and matrix products (`2 xᵀ(x W − y)`).
                let left = wrap(a, below: 3)
                let right = wrap(b, below: isProduct(b) ? 2 : 3)
                let separator = right.hasPrefix("(") || (latex && right.hasPrefix("\\left(")) ? "" : " "
                return left + separator + right
            case .hadamard(let a, let b):
                return "\(wrap(a, below: 3)) \(latex ? "\\odot" : "⊙") \(wrap(b, below: 3))"
            case .quotient(let a, let b):
                if latex { return "\\frac{\(print(a))}{\(print(b))}" }
                return "\(wrap(a, below: 3)) / \(wrap(b, below: 4))"
            case .power(let a, let b):
                if case .number(let exponent) = b, !latex, let superscript = superscriptInteger(exponent) {
                    return wrap(a, below: 5) + superscript
                }
                return latex ? "{\(wrap(a, below: 5))}^{\(print(b))}" : "\(wrap(a, below: 5))^\(wrap(b, below: 5))"
            case .transpose(let a): return wrap(a, below: 5) + (latex ? "^\\top" : "ᵀ")
            case .call("𝟙", let arguments) where latex:  // `𝟙(c)`: 1 where c is not 0
                return "\\mathbb{1}\\left[\(arguments.map(print).joined(separator: ", "))\\right]"
            case .call("where", let arguments) where latex && arguments.count == 3:
                // A case split, as a textbook writes a piecewise function; a comparison shows as
                // itself, any other condition c as c ≠ 0.
                let condition: String
                if case .indicator(let a, let relation, let b) = arguments[0] {
                    let symbol = ["≥": "\\geq", "≤": "\\leq", "≠": "\\neq"][relation] ?? relation
                    condition = "\(print(a)) \(symbol) \(print(b))"
                } else {
                    condition = "\(print(arguments[0])) \\neq 0"
                }
                return "\\begin{cases} \(print(arguments[1])) & \\text{if } \(condition) \\\\ \(print(arguments[2])) & \\text{otherwise} \\end{cases}"
            case .call(let name, let arguments):
                let list = arguments.map(print).joined(separator: ", ")
                return latex ? "\\operatorname{\(name.replacingOccurrences(of: "_", with: "\\_"))}\\left(\(list)\\right)" : "\(name)(\(list))"
            case .indicator(let a, let relation, let b):
                if latex {
                    let symbol = ["≥": "\\geq", "≤": "\\leq", "≠": "\\neq"][relation] ?? relation
                    return "\\mathbb{1}\\left[\(print(a)) \(symbol) \(print(b))\\right]"
                }
                return "𝟙(\(print(a)) \(relation) \(print(b)))"
            case .subscripted(let a, let items):
                let list = items.map(print).joined(separator: ", ")
                return wrap(a, below: 5) + (latex ? "\\left[\(list)\\right]" : "[\(list)]")
            case .list(let items):
                let list = items.map(print).joined(separator: ", ")
                return latex ? "\\left[\(list)\\right]" : "[\(list)]"
            case .scatter(let ids, let rows, let a):
                // Σ_{i: tokens_i = r < 1000} δ₂[i]: row r of the result sums the rows of `a` whose id is r.
                let operand = wrap(a, below: 5)
                if latex {
                    return "\\sum_{i:\\, \(wrap(ids, below: 5))_i = r < \(Int(rows) != nil ? rows : latexName(rows))} \(operand)\\left[i\\right]"
                }
                return "Σ_{i: \(wrap(ids, below: 5))_i = r < \(rows)} \(operand)[i]"
            case .reduce(let symbol, let over, let a):
                let operand = wrap(a, below: 4)
                if latex {
                    let name = symbol == "Σ" ? "\\sum" : "\\operatorname{\(symbol)}"
                    return name + (over.map { "_{\\text{\($0)}}" } ?? "") + " " + operand
                }
                return symbol + (over.map { "_\($0)" } ?? "") + " " + operand
            }
        }

        func isProduct(_ formula: Formula) -> Bool {
            if case .product = formula { return true }
            return false
        }

        /// `δ₁` as `\delta_{1}`, `W1` as `W_{1}`.
        func latexName(_ name: String) -> String {
            // `∂loss/∂W1` as a fraction of partials.
            if name.hasPrefix("∂"), let slash = name.firstIndex(of: "/"), name[name.index(after: slash)...].hasPrefix("∂") {
                let top = String(name[name.index(after: name.startIndex)..<slash])
                let bottom = String(name[name.index(slash, offsetBy: 2)...])
                return "\\frac{\\partial \(latexName(top))}{\\partial \(latexName(bottom))}"
            }
            // `m_W1` as m with the subscript W1.
            if let underscore = name.firstIndex(of: "_"), underscore != name.startIndex, name.index(after: underscore) != name.endIndex {
                let subscriptText = String(name[name.index(after: underscore)...])
                let base = String(name[..<underscore])
                return "\(base.count > 1 ? "\\mathrm{\(base)}" : base)_{\(latexName(subscriptText))}"
            }
            var base = ""
            var index = ""
            for scalar in name.unicodeScalars {
                if (0x2080...0x2089).contains(scalar.value) {
                    index += String(scalar.value - 0x2080)
                } else {
                    base.unicodeScalars.append(scalar)
                }
            }
            if base == "δ" { base = "\\delta" }
            if index.isEmpty, let digits = base.firstIndex(where: \.isNumber), base.first?.isLetter == true,
                base[digits...].allSatisfy(\.isNumber)
            {
                index = String(base[digits...])
                base = String(base[..<digits])
            }
            base = base.replacingOccurrences(of: "_", with: "\\_")
            if base.count > 1 && !base.hasPrefix("\\") { base = "\\mathrm{\(base)}" }
            return index.isEmpty ? base : "\(base)_{\(index)}"
        }

        func superscriptInteger(_ value: Double) -> String? {
            guard value == value.rounded(), abs(value) < 10, value != 1 else { return nil }
            let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
            return (value < 0 ? "⁻" : "") + String(digits[Int(abs(value))])
        }
    }
}
