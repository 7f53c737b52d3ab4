// Trains the 64-32-10 perceptron of digits.adj on the UCI digits (samples/data) with the `Digits`
// kernels the Adjoint plugin generated from digits.adj, in mini-batches of 32, and prints the loss
// per epoch and the test accuracy. Usage: DigitsClassifier [TRAIN.csv TEST.csv [EPOCHS]]
import Foundation

/// Images scaled to [0, 1], one-hot targets and the labels, row-major.
struct Dataset {
    static let pixels = 64
    static let classes = 10
    var x: [Float] = []
    var y: [Float] = []
    var labels: [Int] = []
    var count: Int { labels.count }

    /// A CSV with a header line, then per line a label 0-9 and 64 pixels 0-16.
    init(csv path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard fields.count == 1 + Self.pixels, let label = Int(exactly: fields[0]), (0..<Self.classes).contains(label) else {
                continue
            }
            x += fields.dropFirst().map { $0 / 16 }
            y += (0..<Self.classes).map { $0 == label ? 1 : 0 }
            labels.append(label)
        }
    }
}

/// The share of `data` whose largest logit is at its label.
func accuracy(_ model: Digits, _ data: Dataset) -> Double {
    let logits = model.predict(x: data.x, batch: data.count)
    var correct = 0
    for n in 0..<data.count {
        let row = logits[n * Dataset.classes..<(n + 1) * Dataset.classes]
        if row.firstIndex(of: row.max()!)! - n * Dataset.classes == data.labels[n] { correct += 1 }
    }
    return Double(correct) / Double(data.count)
}

let arguments = CommandLine.arguments
let trainPath = arguments.count > 2 ? arguments[1] : "../data/digits-train.csv"
let testPath = arguments.count > 2 ? arguments[2] : "../data/digits-test.csv"
let epochs = arguments.count > 3 ? Int(arguments[3]) ?? 30 : 30
let train = try Dataset(csv: trainPath)
let test = try Dataset(csv: testPath)
let batch = 32

var model = Digits(seed: 42)
/// The program's own shuffle (xorshift64), so that runs repeat exactly.
struct XorShift {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
var random = XorShift()
var order = Array(0..<train.count)
var batchX = [Float](repeating: 0, count: batch * Dataset.pixels)
var batchY = [Float](repeating: 0, count: batch * Dataset.classes)
print("digits: \(train.count) training and \(test.count) test images, batches of \(batch), \(epochs) epochs")
for epoch in 1...epochs {
    for n in stride(from: train.count - 1, to: 0, by: -1) { order.swapAt(n, Int(random.next() % UInt64(n + 1))) }
    var total = 0.0
    var batches = 0
    for start in stride(from: 0, to: train.count, by: batch) {
        let size = min(batch, train.count - start)
        for b in 0..<size {
            let n = order[start + b]
            batchX.replaceSubrange(b * Dataset.pixels..<(b + 1) * Dataset.pixels, with: train.x[n * Dataset.pixels..<(n + 1) * Dataset.pixels])
            batchY.replaceSubrange(b * Dataset.classes..<(b + 1) * Dataset.classes, with: train.y[n * Dataset.classes..<(n + 1) * Dataset.classes])
        }
        let loss = batchX.withUnsafeBufferPointer { x in
            batchY.withUnsafeBufferPointer { y in
                model.step(x: UnsafeBufferPointer(rebasing: x[..<(size * Dataset.pixels)]), y: UnsafeBufferPointer(rebasing: y[..<(size * Dataset.classes)]), batch: size)
            }
        }
        total += Double(loss)
        batches += 1
    }
    print(String(format: "epoch %2d  loss %.4f  test accuracy %.2f%%", epoch, total / Double(batches), 100 * accuracy(model, test)))
}
let final = accuracy(model, test)
print(String(format: "test accuracy %.2f%% (%d images)", 100 * final, test.count))
exit(final >= 0.95 ? 0 : 1)
