import AdjointIR
import AdjointSyntax

/// What a name stands for while checking.
enum Symbol {
    case dim(size: Int?)
    case input(Shape, ElementType)
    case param(Shape)
    case const(Double)
    /// `const causal: [seq, seq] = tril`.
    case tensorConst(Shape)
    /// `dependsOnParam`: a gradient can reach a param from it; `reachesParam`: it uses a param at
    /// all (perhaps only through an `int` tensor, which stops gradients).
    case value(Shape, ElementType, dependsOnParam: Bool, reachesParam: Bool)
    /// A name whose declaration had an error (already reported): uses of it are not reported again.
    case poisoned

    /// For messages: `'batch' is a runtime dim, not a value`.
    var kindDescription: String {
        switch self {
        case .dim(let size): return size == nil ? "a runtime dim" : "a dim"
        case .input: return "an input"
        case .param: return "a param"
        case .const, .tensorConst: return "a const"
        case .value: return "a value"
        case .poisoned: return "a name with errors"
        }
    }
}

/// The names declared so far, and where.
struct SymbolTable {
    private(set) var symbols: [String: (symbol: Symbol, declaration: SourceRange)] = [:]
    /// Every name the file declares anywhere, with its first declaration, to tell "used before it
    /// is declared" from "never declared".
    var declaredAnywhere: [String: SourceRange] = [:]

    subscript(_ name: String) -> (symbol: Symbol, declaration: SourceRange)? { symbols[name] }

    mutating func insert(_ name: String, _ symbol: Symbol, at range: SourceRange) {
        symbols[name] = (symbol, range)
    }

    /// The declared name closest to a misspelled one, if it is close enough to be a likely typo.
    func suggestion(for name: String) -> String? {
        closestName(to: name, among: symbols.keys.sorted())
    }
}
