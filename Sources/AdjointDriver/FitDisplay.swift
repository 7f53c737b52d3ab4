import Foundation

/// Where `adjoint fit` reports: a progress bar redrawn in place on a terminal, plain lines (one
/// per epoch) otherwise, so that logs and pipes get no carriage returns or escape codes.
struct FitDisplay {
    /// Whether to draw the progress bar (standard output is a terminal).
    var isTerminal: Bool
    /// Writes text as it comes (a line ends with "\n"; the bar with none).
    var write: (String) -> Void

    /// Standard output, written at once so that a person sees each epoch as it ends.
    static func standardOutput() -> FitDisplay {
        FitDisplay(isTerminal: isatty(STDOUT_FILENO) == 1) { text in
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    /// Collects everything written, for tests and for callers that print later.
    final class Collector {
        var text = ""
        var display: FitDisplay { FitDisplay(isTerminal: false) { [self] in text += $0 } }
    }

    func line(_ text: String) { write(text + "\n") }

    /// The bar for `done` of `total` batches of an epoch (terminal only).
    func progress(epoch: Int, of epochs: Int, done: Int, total: Int) {
        // Redraw only when the percentage moves: a terminal need not see every one of 100,000 batches.
        guard isTerminal, done == total || done * 100 / max(total, 1) != (done - 1) * 100 / max(total, 1) else { return }
        let width = 30
        let filled = total == 0 ? width : done * width / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        write("\r\(Self.epochLabel(epoch, of: epochs)) [\(bar)] \(done)/\(total) batches")
    }

    /// An epoch's summary, replacing the bar on a terminal.
    func epoch(_ record: FitEpoch, of epochs: Int) {
        write((isTerminal ? "\r\u{1B}[K" : "") + record.summary(of: epochs) + "\n")
    }

    static func epochLabel(_ epoch: Int, of epochs: Int) -> String {
        let digits = String(epochs).count
        let number = String(epoch)
        return "epoch " + String(repeating: " ", count: max(0, digits - number.count)) + number + "/\(epochs)"
    }
}

/// What one epoch measured.
struct FitEpoch: Equatable {
    var epoch: Int
    /// The mean loss over the epoch's training examples, each step's loss taken before its update.
    var trainLoss: Double
    /// The loss on the whole test set after the epoch (nil without `--test`).
    var testLoss: Double?
    /// Classification only: the share of correct argmax predictions after the epoch.
    var trainAccuracy: Double?
    var testAccuracy: Double?
    /// Training steps only (no evaluation), in examples per second.
    var examplesPerSecond: Double

    /// `epoch  3/20  loss 0.1234  train accuracy 97.80%  test accuracy 96.30%  test loss 0.1302  41000 examples/s`
    func summary(of epochs: Int) -> String {
        ([FitDisplay.epochLabel(epoch, of: epochs)] + measurements + ["\(Int(examplesPerSecond.rounded())) examples/s"])
            .joined(separator: "  ")
    }

    /// The losses and accuracies, each as `name value`.
    var measurements: [String] {
        var parts = ["loss \(Self.number(trainLoss))"]
        if let trainAccuracy { parts.append("train accuracy \(Self.percent(trainAccuracy))") }
        if let testAccuracy { parts.append("test accuracy \(Self.percent(testAccuracy))") }
        if let testLoss { parts.append("test loss \(Self.number(testLoss))") }
        return parts
    }

    static func number(_ value: Double) -> String { String(format: "%.4f", value) }
    static func percent(_ value: Double) -> String { String(format: "%.2f%%", 100 * value) }
}
