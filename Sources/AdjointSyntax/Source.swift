/// A model file's text, kept as UTF-8 bytes so that positions are cheap byte offsets and a file
/// that is not valid UTF-8 still lexes (the lexer reports the stray bytes).
public struct SourceFile: Sendable {
    /// The path as the user gave it; diagnostics print it unchanged.
    public let path: String
    /// The file's bytes.
    public let bytes: [UInt8]
    /// Byte offset where each line starts; `lineStarts[0] == 0`.
    public let lineStarts: [Int]
    /// For a file with any non-ASCII byte, entry `k` counts the UTF-8 continuation bytes before
    /// byte `k * continuationBlock`; empty for an ASCII file. A column is then found in a bounded
    /// number of steps wherever it is on the line, so many diagnostics on one long line do not
    /// each rescan the line from its start.
    private let continuationCounts: [Int]
    private static let continuationBlock = 256

    /// Wraps raw bytes read from `path`.
    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        var starts = [0]
        var counts: [Int] = []
        var continuations = 0
        var isASCII = true
        for (offset, byte) in bytes.enumerated() {
            if offset % Self.continuationBlock == 0 { counts.append(continuations) }
            if byte == UInt8(ascii: "\n") { starts.append(offset + 1) }
            if byte >= 0x80 { isASCII = false }
            if Self.isContinuationByte(byte) { continuations += 1 }
        }
        self.lineStarts = starts
        self.continuationCounts = isASCII ? [] : counts
    }

    /// Wraps text held in memory (tests, generated models).
    public init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }

    /// The 1-based line and column of a byte offset. Columns count characters (Unicode scalars),
    /// not bytes, so a caret lines up under the quoted line in a terminal.
    public func location(of offset: Int) -> SourceLocation {
        let clamped = min(max(offset, 0), bytes.count)
        let lineIndex = lineIndex(containing: clamped)
        return SourceLocation(line: lineIndex + 1, column: columns(from: lineStarts[lineIndex], to: clamped) + 1)
    }

    /// The text of a 1-based line without its line break, with tabs and control characters shown
    /// as spaces so that a caret line below it stays aligned.
    public func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        return displayText(from: lineStarts[line - 1], to: lineEnd(line - 1))
    }

    /// The byte offset where the 0-based line `index` ends, before its `\n` (and a `\r` before that).
    func lineEnd(_ index: Int) -> Int {
        var end = index + 1 < lineStarts.count ? lineStarts[index + 1] - 1 : bytes.count
        if end > lineStarts[index], bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return end
    }

    /// How many columns (characters) `bytes[start..<end]` takes: one per byte that does not
    /// continue a UTF-8 sequence, which is also what `displayText` prints for them.
    func columns(from start: Int, to end: Int) -> Int {
        guard end > start else { return 0 }
        return (end - start) - (continuations(before: end) - continuations(before: start))
    }

    private func continuations(before offset: Int) -> Int {
        guard !continuationCounts.isEmpty else { return 0 }
        let block = offset / Self.continuationBlock
        var count = continuationCounts[min(block, continuationCounts.count - 1)]
        var index = min(block, continuationCounts.count - 1) * Self.continuationBlock
        while index < offset {
            if Self.isContinuationByte(bytes[index]) { count += 1 }
            index += 1
        }
        return count
    }

    /// The offset `count` columns after `offset`, stopping at `limit`.
    func offset(_ offset: Int, advancedBy count: Int, limit: Int) -> Int {
        var index = offset
        var remaining = count
        while index < limit {
            if !Self.isContinuationByte(bytes[index]) {
                if remaining == 0 { break }
                remaining -= 1
            }
            index += 1
        }
        return index
    }

    /// The offset `count` columns before `offset`, stopping at `limit`, on a character's first byte.
    func offset(_ offset: Int, retreatedBy count: Int, limit: Int) -> Int {
        var index = offset
        var remaining = count
        while index > limit && remaining > 0 {
            index -= 1
            if !Self.isContinuationByte(bytes[index]) { remaining -= 1 }
        }
        return index
    }

    /// `bytes[start..<end]` as text, one printed character per column: valid UTF-8 sequences as
    /// themselves, tabs, control characters and invalid bytes as spaces, stray continuation bytes
    /// as nothing.
    func displayText(from start: Int, to end: Int) -> String {
        // Gathered as bytes and decoded once: appending to a String character by character made
        // quoting the dominant cost of a million diagnostics.
        var shown: [UInt8] = []
        shown.reserveCapacity(max(0, end - start))
        var index = start
        while index < end {
            let lead = bytes[index]
            let length = Self.sequenceLength(lead)
            // Only sequences that decode are copied, so every scalar counted as a column prints as one.
            if length > 1, index + length <= end, String(validating: bytes[index..<index + length], as: UTF8.self) != nil {
                shown.append(contentsOf: bytes[index..<index + length])
                index += length
                continue
            }
            if !Self.isContinuationByte(lead) {  // stray continuation bytes take no column
                shown.append(lead < 0x20 || lead == 0x7F || lead >= 0x80 ? UInt8(ascii: " ") : lead)
            }
            index += 1
        }
        return String(decoding: shown, as: UTF8.self)
    }

    func lineIndex(containing offset: Int) -> Int {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return low
    }

    static func isContinuationByte(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }

    static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0xC2...0xDF: return 2
        case 0xE0...0xEF: return 3
        case 0xF0...0xF4: return 4
        default: return 1
        }
    }
}

/// A 1-based line and column.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// `LINE:COL`, as diagnostics print it.
    public var description: String { "\(line):\(column)" }
}

/// A half-open range of byte offsets into a `SourceFile`.
public struct SourceRange: Hashable, Sendable {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = max(start, end)
    }

    /// The smallest range covering both.
    public func union(_ other: SourceRange) -> SourceRange {
        SourceRange(start: min(start, other.start), end: max(end, other.end))
    }

    /// A range that the compiler invented (no source text); diagnostics never point at it.
    public static let synthesized = SourceRange(start: -1, end: -1)

    /// Whether this range stands for source text rather than something the compiler made up.
    public var isSynthesized: Bool { start < 0 }
}
