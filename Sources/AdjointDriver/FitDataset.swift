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
    /// Each row's class when the target is one-hot (for accuracy); empty otherwise.
    var classes: [Int]

    /// Reads a CSV whose first line names the columns: `label` (the target) and, in order, one
    /// column per element of the feature input. Blank lines are skipped; values are numbers.
    static func load(_ path: String, model: FitModel, labelColumn: String) throws(FitUsageError) -> FitDataset {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FitUsageError(description: "cannot read the CSV file '\(path)'")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path, model: model, labelColumn: labelColumn)
    }

    /// Parses CSV text (`path` names it in messages).
    static func parse(_ text: String, path: String, model: FitModel, labelColumn: String) throws(FitUsageError) -> FitDataset {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
            .map { (number: $0.offset + 1, fields: $0.element) }
            .filter { !$0.fields.allSatisfy(\.isWhitespace) }
            .makeIterator()
        guard let header = lines.next() else { throw FitUsageError(description: "\(path) is empty: expected a header line naming the columns") }
        let columns = header.fields.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
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
        dataset.features.reserveCapacity(model.featureCount * 1024)
        var row = [Double](repeating: 0, count: expected)
        while let line = lines.next() {
            var count = 0
            for field in line.fields.split(separator: ",", omittingEmptySubsequences: false) {
                count += 1
                guard count <= expected else { break }
                let trimmed = field.trimmingCharacters(in: .whitespaces)
                guard let value = Double(trimmed), value.isFinite else {
                    throw FitUsageError(description: "\(path):\(line.number): column '\(columns[count - 1])': '\(trimmed)' is not a number")
                }
                row[count - 1] = value
            }
            guard count == expected else {
                throw FitUsageError(description: "\(path):\(line.number): expected \(expected) values, found \(count)")
            }
            for (index, value) in row.enumerated() where index != labelIndex { dataset.features.append(value) }
            try dataset.appendTarget(row[labelIndex], model: model, at: "\(path):\(line.number)")
            dataset.rows += 1
        }
        guard dataset.rows > 0 else { throw FitUsageError(description: "\(path) has a header but no rows") }
        return dataset
    }

    private mutating func appendTarget(_ label: Double, model: FitModel, at location: String) throws(FitUsageError) {
        guard model.oneHot else {
            targets.append(label)
            return
        }
        let classCount = model.targetCount
        guard let index = Int(exactly: label), index >= 0, index < classCount else {
            throw FitUsageError(
                description: "\(location): label \(Self.shown(label)) is not an integer from 0 to \(classCount - 1) (the target \(model.target.name): \(model.target.shape) is one-hot over \(classCount) classes)")
        }
        for k in 0..<classCount { targets.append(k == index ? 1 : 0) }
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
