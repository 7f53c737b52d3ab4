/// "Did you mean" suggestions for misspelled names, functions and keywords.

/// The candidate within a small edit distance of `name` (ties: the first in the given order).
public func closestName(to name: String, among candidates: [String]) -> String? {
    let limit = max(1, name.count / 3)
    var best: (name: String, distance: Int)?
    for candidate in candidates where candidate != name {
        let distance = editDistance(Array(name.utf8), Array(candidate.utf8))
        // A suggestion must keep part of what was typed: `b` is not a typo of `a`.
        if distance <= limit, distance < name.count, distance < (best?.distance ?? .max) { best = (candidate, distance) }
    }
    return best?.name
}

/// Levenshtein distance, two rows at a time.
public func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
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
