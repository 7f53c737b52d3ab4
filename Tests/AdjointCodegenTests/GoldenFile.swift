import Foundation
import Testing

/// Compares text with a golden file beside the tests (`Goldens/NAME`). With `UPDATE_GOLDENS=1` in
/// the environment it rewrites the file instead. A mismatch is reported with a line diff.
func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens/\(name)")
    if ProcessInfo.processInfo.environment["UPDATE_GOLDENS"] == "1" {
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? actual.write(to: url, atomically: true, encoding: .utf8)
        return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
        Issue.record("missing golden file Goldens/\(name); run UPDATE_GOLDENS=1 swift test", sourceLocation: sourceLocation)
        return
    }
    if expected != actual {
        let diff = lineDiff(expected, actual)
        Issue.record(
            "Goldens/\(name) differs (- golden, + now; UPDATE_GOLDENS=1 swift test accepts the change):\n\(diff)",
            sourceLocation: sourceLocation)
    }
}

/// A minimal line diff: the lines only in `old` with `-`, only in `new` with `+`, in order, from a
/// longest common subsequence.
func lineDiff(_ old: String, _ new: String) -> String {
    let a = old.components(separatedBy: "\n")
    let b = new.components(separatedBy: "\n")
    var lcs = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in stride(from: a.count - 1, through: 0, by: -1) {
        for j in stride(from: b.count - 1, through: 0, by: -1) {
            lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
        }
    }
    var lines: [String] = []
    var (i, j) = (0, 0)
    while i < a.count || j < b.count {
        if i < a.count, j < b.count, a[i] == b[j] {
            i += 1
            j += 1
        } else if i < a.count, j == b.count || lcs[i + 1][j] >= lcs[i][j + 1] {
            lines.append("-\(i + 1): \(a[i])")
            i += 1
        } else {
            lines.append("+\(j + 1): \(b[j])")
            j += 1
        }
    }
    return lines.joined(separator: "\n")
}

@Suite struct CodegenGoldenDiffTests {
    @Test func diffShowsRemovedAndAddedLines() {
        #expect(lineDiff("a\nb\nc", "a\nB\nc\nd") == "-2: b\n+2: B\n+4: d")
        #expect(lineDiff("same", "same") == "")
    }
}
