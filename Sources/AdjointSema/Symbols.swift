import AdjointIR
import AdjointSyntax

/// What a name stands for while checking.
enum Symbol {
    case dim(size: Int?)
    case input(Shape)
    case param(Shape)
    case const(Double)
    case value(Shape, dependsOnParam: Bool)
    /// A name whose declaration had an error (already reported): uses of it are not reported again.
    case poisoned

    /// For messages: `'batch' is a runtime dim, not a value`.
    var kindDescription: String {
        switch self {
        case .dim(let size): return size == nil ? "a runtime dim" : "a dim"
        case .input: return "an input"
        case .param: return "a param"
        case .const: return "a const"
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

/// The candidate within a small edit distance of `name` (ties: the first in the given order).
func closestName(to name: String, among candidates: [String]) -> String? {
    let limit = max(1, name.count / 3)
    var best: (name: String, distance: Int)?
    for candidate in candidates where candidate != name {
        let distance = editDistance(Array(name.utf8), Array(candidate.utf8))
        if distance <= limit, distance < (best?.distance ?? .max) { best = (candidate, distance) }
    }
    return best?.name
}

/// Levenshtein distance, two rows at a time.
func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    var previous = Array(0...b.count)
    var current = previous
    for i in 1...a.count {
        current[0] = i
        for j in 1...max(b.count, 1) where j <= b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
