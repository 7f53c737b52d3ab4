import Foundation

/// A problem with what `adjoint fit` was asked to do (a CSV, a params file, an option): a usage
/// error, exit status 2, with a message that names the file and what was expected.
struct FitUsageError: Error, CustomStringConvertible {
    var description: String
}

/// The examples of one CSV file, laid out as the kernels read them: row-major, one example after
/// another, the features in the feature input's element order and the target encoded for the loss.
struct FitDataset {
    var rows: Int
    /// `rows * model.featureCount` numbers.
    var features: [Double]
    /// `rows * model.targetCount` numbers: the label itself, or its one-hot encoding.
    var targets: [Double]
    /// Each row's class when the target is one-hot or class indices (for accuracy); empty otherwise.
    var classes: [Int]

    /// Reads a CSV whose first line names the columns: `label` (the target) and, in order, one
    /// column per element of the feature input. `progress` hears (bytes read, file size) now and
    /// then on a large file.
    static func load(
        _ path: String, model: FitModel, labelColumn: String, progress: ((Int, Int) -> Void)? = nil
    ) throws(FitUsageError) -> FitDataset {
        let data: Data
        do {
            // Mapped, not copied: a 200 MB file costs no 200 MB of memory on top of the dataset.
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw FitUsageError(description: "cannot read the CSV file '\(path)'")
        }
        let result = data.withUnsafeBytes { raw in
            Result { () throws(FitUsageError) in
                try parse(raw.bindMemory(to: UInt8.self), path: path, model: model, labelColumn: labelColumn, progress: progress)
            }
        }
        return try result.get()
    }

    /// Parses CSV text (`path` names it in messages).
    static func parse(_ text: String, path: String, model: FitModel, labelColumn: String) throws(FitUsageError) -> FitDataset {
        let bytes = Array(text.utf8)
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(FitUsageError) in try parse(buffer, path: path, model: model, labelColumn: labelColumn, progress: nil) }
        }
        return try result.get()
    }

    /// Parses CSV bytes in one pass (RFC 4180: fields may be quoted, `""` is a quote inside
    /// quotes; lines end with LF, CRLF or CR; a leading UTF-8 byte order mark is skipped; blank
    /// lines are skipped). Values are numbers in `CSVNumber`'s syntax, quoted or not, written
    /// straight into the flat feature and target arrays.
    static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, path: String, model: FitModel, labelColumn: String, progress: ((Int, Int) -> Void)?
    ) throws(FitUsageError) -> FitDataset {
        var reader = CSVReader(bytes, path: path)
        guard let header = try reader.record() else {
            throw FitUsageError(description: "\(path) is empty: expected a header line naming the columns")
        }
        let columns = header.map { reader.text($0).trimmingCharacters(in: .whitespaces) }
        guard let labelIndex = columns.firstIndex(of: labelColumn) else {
            let shown = columns.prefix(8).joined(separator: ", ") + (columns.count > 8 ? ", ..." : "")
            throw FitUsageError(description: "\(path) has no column '\(labelColumn)' (its header: \(shown)); name the label column with --label COLUMN")
        }
        let expected = model.featureCount + 1
        guard columns.count == expected else {
            throw FitUsageError(
                description: "\(path) has \(columns.count) columns, expected \(expected): the label column '\(labelColumn)' and \(model.featureCount) feature columns for input \(model.features.name): \(model.features.shape)")
        }
        var dataset = FitDataset(rows: 0, features: [], targets: [], classes: [])
        var fields: [CSVReader.Field] = []
        fields.reserveCapacity(expected)
        let progressStep = max(bytes.count / 100, 1 << 20)
        var nextProgress = progressStep
        while try reader.record(into: &fields) {
            guard fields.count == expected else {
                throw FitUsageError(description: "\(path):\(fields[0].line): expected \(expected) values, found \(fields.count)")
            }
            var label = 0.0
            for (index, field) in fields.enumerated() {
                guard let value = CSVNumber.parse(bytes, field.start, field.end) else {
                    throw FitUsageError(
                        description: "\(path):\(field.line):\(field.column): column '\(columns[index])': '\(reader.text(field))' is not a number (\(CSVNumber.syntax))")
                }
                if index == labelIndex { label = value } else { dataset.features.append(value) }
            }
            try dataset.appendTarget(label, model: model, at: "\(path):\(fields[0].line)")
            dataset.rows += 1
            if dataset.rows == 1024 {
                // Room for the whole file at once, estimated from the first rows' length, rather
                // than repeated doubling that copies and briefly holds twice the features.
                let estimate = bytes.count / max(reader.offset / 1025, 1) + 1024
                dataset.features.reserveCapacity(estimate * model.featureCount)
                dataset.targets.reserveCapacity(estimate * model.targetCount)
            }
            if let progress, reader.offset >= nextProgress {
                progress(reader.offset, bytes.count)
                nextProgress = reader.offset + progressStep
            }
        }
        // The last report clears the progress line.
        if let progress, nextProgress > progressStep { progress(bytes.count, bytes.count) }
        guard dataset.rows > 0 else { throw FitUsageError(description: "\(path) has a header but no rows") }
        return dataset
    }

    private mutating func appendTarget(_ label: Double, model: FitModel, at location: String) throws(FitUsageError) {
        guard let classCount = model.classCount else {
            targets.append(label)
            return
        }
        guard let index = Int(exactly: label), index >= 0, index < classCount else {
            let encoding = model.oneHot ? "is one-hot over \(classCount) classes" : "holds class indices from 0 to \(classCount - 1)"
            throw FitUsageError(
                description: "\(location): label \(Self.shown(label)) is not an integer from 0 to \(classCount - 1) (the target \(model.target.name): \(model.target.shape) \(encoding))")
        }
        if model.oneHot {
            for k in 0..<classCount { targets.append(k == index ? 1 : 0) }
        } else {
            targets.append(Double(index))  // the class index itself, for an `int` target
        }
        classes.append(index)
    }

    /// A label as the CSV most likely wrote it: `10`, not `10.0`.
    static func shown(_ label: Double) -> String {
        label == label.rounded() && abs(label) < 1e15 ? String(Int(label)) : String(label)
    }

    /// The rows at `indices`, in that order (a batch, or the whole set shuffled).
    func gather(_ indices: ArraySlice<Int>, featureCount: Int, targetCount: Int) -> (features: [Double], targets: [Double]) {
        var x = [Double]()
        var y = [Double]()
        x.reserveCapacity(indices.count * featureCount)
        y.reserveCapacity(indices.count * targetCount)
        for index in indices {
            x.append(contentsOf: features[index * featureCount..<(index + 1) * featureCount])
            y.append(contentsOf: targets[index * targetCount..<(index + 1) * targetCount])
        }
        return (x, y)
    }
}

/// `--normalize`: each feature scaled to zero mean and unit variance with the training set's
/// statistics (the test set uses the same, as it would in deployment). A constant feature keeps
/// scale 1 so it becomes 0 rather than NaN.
struct FitNormalization {
    var mean: [Double]
    var scale: [Double]

    init(_ training: FitDataset, featureCount: Int) {
        var sum = [Double](repeating: 0, count: featureCount)
        for (index, value) in training.features.enumerated() { sum[index % featureCount] += value }
        mean = sum.map { $0 / Double(training.rows) }
        var squares = [Double](repeating: 0, count: featureCount)
        for (index, value) in training.features.enumerated() {
            let difference = value - mean[index % featureCount]
            squares[index % featureCount] += difference * difference
        }
        scale = squares.map { total in
            let deviation = (total / Double(training.rows)).squareRoot()
            return deviation > 1e-12 ? 1 / deviation : 1
        }
    }

    func apply(to dataset: inout FitDataset) {
        let count = mean.count
        for index in dataset.features.indices {
            dataset.features[index] = (dataset.features[index] - mean[index % count]) * scale[index % count]
        }
    }
}

/// Reads CSV records from bytes: each field a range of the bytes (inside the quotes when quoted)
/// with the line and column where it starts.
struct CSVReader {
    struct Field {
        var start: Int
        var end: Int
        var line: Int
        var column: Int
        /// Written in quotes.
        var quoted: Bool
        /// Quoted with a `""` inside: the range holds the doubled quotes.
        var escaped: Bool
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let path: String
    private(set) var offset = 0
    private var line = 1
    private var lineStart = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, path: String) {
        self.bytes = bytes
        self.path = path
        // A UTF-8 byte order mark (Excel writes one) is no part of the first column's name.
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
            offset = 3
            lineStart = 3
        }
    }

    /// The field's text, quotes undone.
    func text(_ field: Field) -> String {
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[field.start..<field.end]), as: UTF8.self)
        return field.escaped ? text.replacingOccurrences(of: "\"\"", with: "\"") : text
    }

    /// The next record that is not blank, or nil at the end.
    mutating func record() throws(FitUsageError) -> [Field]? {
        var fields: [Field] = []
        return try record(into: &fields) ? fields : nil
    }

    /// Reads the next record that is not blank into `fields`; false at the end.
    mutating func record(into fields: inout [Field]) throws(FitUsageError) -> Bool {
        while offset < bytes.count {
            fields.removeAll(keepingCapacity: true)
            while true {
                let field = try readField()
                fields.append(field)
                if offset < bytes.count && bytes[offset] == UInt8(ascii: ",") {
                    offset += 1
                    continue
                }
                endLine()
                break
            }
            // A line of nothing but blanks is skipped, as spreadsheets leave them at the end.
            if fields.count == 1 && fields[0].start == fields[0].end && !fields[0].quoted { continue }
            return true
        }
        return false
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    /// Moves past the line break at `offset` (LF, CRLF or CR), if any.
    private mutating func endLine() {
        guard offset < bytes.count else { return }
        if bytes[offset] == UInt8(ascii: "\r") { offset += 1 }
        if offset < bytes.count && bytes[offset] == UInt8(ascii: "\n") { offset += 1 }
        line += 1
        lineStart = offset
    }

    private mutating func readField() throws(FitUsageError) -> Field {
        while offset < bytes.count && Self.isBlank(bytes[offset]) { offset += 1 }
        let fieldLine = line
        let column = offset - lineStart + 1
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else {
            let start = offset
            while offset < bytes.count {
                let byte = bytes[offset]
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { break }
                offset += 1
            }
            var end = offset
            while end > start && Self.isBlank(bytes[end - 1]) { end -= 1 }
            return Field(start: start, end: end, line: fieldLine, column: column, quoted: false, escaped: false)
        }
        offset += 1
        let start = offset
        var escaped = false
        while true {
            guard offset < bytes.count else {
                throw FitUsageError(description: "\(path):\(fieldLine):\(column): the quoted field has no closing '\"'")
            }
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                if offset + 1 < bytes.count && bytes[offset + 1] == UInt8(ascii: "\"") {
                    escaped = true
                    offset += 2
                    continue
                }
                break
            }
            if byte == UInt8(ascii: "\n") || (byte == UInt8(ascii: "\r") && !(offset + 1 < bytes.count && bytes[offset + 1] == UInt8(ascii: "\n"))) {
                line += 1
                lineStart = offset + 1
            }
            offset += 1
        }
        let end = offset
        offset += 1
        while offset < bytes.count && Self.isBlank(bytes[offset]) { offset += 1 }
        if offset < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "\n"), UInt8(ascii: "\r")].contains(bytes[offset]) {
            throw FitUsageError(description: "\(path):\(line):\(offset - lineStart + 1): expected ',' or the end of the line after a quoted field")
        }
        return Field(start: start, end: end, line: fieldLine, column: column, quoted: true, escaped: escaped)
    }
}

/// The numbers a CSV may hold: the model language's decimal literals with an optional sign,
/// `[+-] (digits [. digits] | . digits) [(e|E) [+-] digits]`, finite in double. Hexadecimal
/// (`0x10`), `nan`, `inf` and digit separators (`1_000`) are refused: a CSV that holds them is
/// more likely broken than meant.
enum CSVNumber {
    /// The syntax, for messages.
    static let syntax = "expected a decimal number such as 3, -0.5 or 1.5e-3"

    /// Exact powers of ten: a mantissa below 2^53 times or divided by one of them is correctly
    /// rounded (Clinger's fast path), which covers nearly every number a CSV holds.
    private static let powers: [Double] = {
        var powers: [Double] = [1]
        for _ in 1...22 { powers.append(powers.last! * 10) }
        return powers
    }()

    /// The number in `bytes[start..<end]`, or nil if it is not one.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        var index = start
        var negative = false
        if index < end && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        var mantissa: UInt64 = 0
        var exponent = 0
        var digits = 0
        var inexact = false
        func digit(_ byte: UInt8) -> UInt64? { byte >= 48 && byte <= 57 ? UInt64(byte - 48) : nil }
        while index < end, let value = digit(bytes[index]) {
            if mantissa < 1_000_000_000_000_000_000 { mantissa = mantissa * 10 + value } else { exponent += 1; inexact = inexact || value != 0 }
            digits += 1
            index += 1
        }
        if index < end && bytes[index] == UInt8(ascii: ".") {
            index += 1
            var fraction = 0
            while index < end, let value = digit(bytes[index]) {
                if mantissa < 1_000_000_000_000_000_000 { mantissa = mantissa * 10 + value; exponent -= 1 } else { inexact = inexact || value != 0 }
                fraction += 1
                index += 1
            }
            guard fraction > 0 else { return nil }
            digits += fraction
        }
        guard digits > 0 else { return nil }
        if index < end && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            index += 1
            var exponentNegative = false
            if index < end && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            var written = 0
            var count = 0
            while index < end, let value = digit(bytes[index]) {
                written = min(written * 10 + Int(value), 1_000_000)
                count += 1
                index += 1
            }
            guard count > 0 else { return nil }
            exponent += exponentNegative ? -written : written
        }
        guard index == end else { return nil }
        let value: Double
        if !inexact && mantissa <= 1 << 53 && abs(exponent) <= 22 {
            value = exponent >= 0 ? Double(mantissa) * powers[exponent] : Double(mantissa) / powers[-exponent]
        } else {
            // Long or extreme numbers: strtod rounds them correctly (the syntax is checked above,
            // so it reads exactly these bytes).
            var text = [CChar](repeating: 0, count: end - start + 1)
            for offset in start..<end { text[offset - start] = CChar(bitPattern: bytes[offset]) }
            value = strtod(text, nil)
            return value.isFinite ? value : nil
        }
        return negative ? -value : value
    }
}
