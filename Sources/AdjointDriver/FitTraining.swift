import AdjointInterpreter
import Foundation

/// The training loop of `adjoint fit`, the same for every engine: the epoch's order drawn by the
/// run's own seeded generator, mini-batches in that order (the last one smaller), one fused
/// step per batch, then the evaluations the epoch reports.
struct FitTraining {
    var engine: any FitEngine
    var model: FitModel
    var train: FitDataset
    var test: FitDataset?
    var epochs: Int
    var batch: Int
    var seed: UInt64

    /// Mixed into `seed` so that the shuffle draws a different stream from the initializers'.
    static let shuffleStream: UInt64 = 0x5348_5546_464C_4531

    /// Trains for `epochs` epochs, reporting each on `display`; returns what each measured.
    func run(display: FitDisplay) -> [FitEpoch] {
        guard epochs > 0 else { return [] }
        var random = SplitMix64(seed: seed ^ Self.shuffleStream)
        var order = Array(0..<train.rows)
        let batches = (train.rows + batch - 1) / batch
        var records: [FitEpoch] = []
        for epoch in 1...epochs {
            for index in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(index, Int(random.next() % UInt64(index + 1)))
            }
            var total = 0.0
            // Examples per second of training: batch gathering and steps, not the evaluations.
            let start = DispatchTime.now().uptimeNanoseconds
            for number in 0..<batches {
                let rows = order[number * batch..<min((number + 1) * batch, train.rows)]
                let (x, y) = train.gather(rows, featureCount: model.featureCount, targetCount: model.targetCount)
                total += engine.step(features: x, targets: y, rows: rows.count) * Double(rows.count)
                display.progress(epoch: epoch, of: epochs, done: number + 1, total: batches)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let record = evaluate(epoch: epoch, trainLoss: total / Double(train.rows),
                                  examplesPerSecond: Double(train.rows) / max(seconds, 1e-9))
            display.epoch(record, of: epochs)
            records.append(record)
        }
        return records
    }

    /// The epoch's record: accuracies (classification) and the test loss at the current params.
    func evaluate(epoch: Int, trainLoss: Double, examplesPerSecond: Double) -> FitEpoch {
        var record = FitEpoch(epoch: epoch, trainLoss: trainLoss, examplesPerSecond: examplesPerSecond)
        if let test { record.testLoss = engine.loss(features: test.features, targets: test.targets, rows: test.rows) }
        if model.classifierOutput != nil {
            record.trainAccuracy = accuracy(train)
            record.testAccuracy = test.map(accuracy)
        }
        return record
    }

    /// The share of rows whose largest output is their label's class.
    func accuracy(_ data: FitDataset) -> Double {
        guard let name = model.classifierOutput, let output = model.outputs.firstIndex(where: { $0.name == name }) else {
            return .nan
        }
        let scores = engine.predict(features: data.features, targets: data.targets, rows: data.rows, output: output)
        guard let classes = model.classCount else { return .nan }
        var correct = 0
        for row in 0..<data.rows {
            let slice = scores[row * classes..<(row + 1) * classes]
            let best = slice.indices.max { slice[$0] < slice[$1] }! - row * classes
            if best == data.classes[row] { correct += 1 }
        }
        return Double(correct) / Double(data.rows)
    }
}
