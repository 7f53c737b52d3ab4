@testable import AdjointDriver
import AdjointInterpreter
import Foundation

/// A folder in the temporary directory with the files a fit test writes, removed at the end.
final class FitScratch {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-fit-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }
}

/// Small models and data sets that train in a fraction of a second.
enum FitFixtures {
    /// Three classes of points in 4 dimensions, softmax regression.
    static let classifier = """
        dim n
        input x: [n, 4]
        input y: [n, 3]
        param W: [4, 3]
        param b: [3]
        logits = x @ W + b
        loss = softmax_cross_entropy(logits, y)
        output logits
        minimize loss using adam(lr = 0.05)
        """

    /// The same classifier with class indices as its target (`int`, declared first so that the
    /// kernels take the labels before the features).
    static let classIndexClassifier = """
        dim n
        input labels: int[n]
        input x: [n, 4]
        param W: [4, 3]
        param b: [3]
        logits = x @ W + b
        loss = softmax_cross_entropy(logits, labels)
        output logits
        minimize loss using adam(lr = 0.05)
        """

    /// Linear regression with the target declared first, so that the kernels take it first.
    static let regression = """
        dim rows
        input price: [rows]
        input features: [rows, 3]
        param w: [3] = normal(0, 0.1)
        param bias = 0.5
        loss = mse(features @ w + bias, price)
        minimize loss using sgd(lr = 0.05)
        """

    /// `rows` points around one of three centers, the label column first: `label,f0,f1,f2,f3`.
    static func clusters(rows: Int, seed: UInt64) -> String {
        var random = SplitMix64(seed: seed)
        let centers: [[Double]] = [[2, 0, 0, 1], [0, 2, 0, -1], [0, 0, 2, 0]]
        var lines = ["label,f0,f1,f2,f3"]
        for _ in 0..<rows {
            let label = Int(random.next() % 3)
            let point = centers[label].map { $0 + 0.7 * random.normal() }
            lines.append(([String(label)] + point.map { String($0) }).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `price = 1.5 a - 2 b + 0.5 c + 1` plus a little noise, the label column last.
    static func prices(rows: Int, seed: UInt64) -> String {
        var random = SplitMix64(seed: seed)
        var lines = ["a,b,c,price"]
        for _ in 0..<rows {
            let (a, b, c) = (random.normal(), random.normal(), random.normal())
            let price = 1.5 * a - 2 * b + 0.5 * c + 1 + 0.05 * random.normal()
            lines.append("\(a),\(b),\(c),\(price)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static var hasCompiler: Bool { CFitEngine.findCompiler() != nil }

    /// Runs fit in process, its report collected.
    static func fit(_ options: FitOptions) -> (result: CommandResult, outcome: FitOutcome?, text: String) {
        let collector = FitDisplay.Collector()
        let (result, outcome) = Commands.fit(options, display: collector.display)
        return (result, outcome, collector.text)
    }
}
