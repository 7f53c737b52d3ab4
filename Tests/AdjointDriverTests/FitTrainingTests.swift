@testable import AdjointDriver
import Foundation
import Testing

/// `adjoint fit` trains: the loss falls, the classifier learns, and the C kernels and the
/// interpreter give the same curve for the same seed and batches.
@Suite struct FitTrainingTests {
    private func classifierRun(_ engine: FitOptions.Engine, scratch: FitScratch) throws -> FitOutcome {
        var options = FitOptions(
            modelPath: try scratch.write("classes.adj", FitFixtures.classifier),
            dataPath: try scratch.write("train.csv", FitFixtures.clusters(rows: 150, seed: 1)))
        options.testPath = try scratch.write("test.csv", FitFixtures.clusters(rows: 60, seed: 2))
        options.epochs = 6
        options.batch = 16
        options.seed = 7
        options.normalize = true
        options.engine = engine
        let (result, outcome, text) = FitFixtures.fit(options)
        #expect(result.status == 0, "\(result.errors)")
        #expect(text.contains("epoch 6/6"))
        return try #require(outcome)
    }

    @Test func interpreterLearnsTheClusters() throws {
        let scratch = try FitScratch()
        let outcome = try classifierRun(.interpreter, scratch: scratch)
        #expect(outcome.engine.hasPrefix("interpreter"))
        let first = try #require(outcome.epochs.first), last = try #require(outcome.epochs.last)
        #expect(last.trainLoss < 0.5 * first.trainLoss)
        #expect(try #require(last.testLoss) < 0.5)
        #expect(try #require(last.testAccuracy) >= 0.9)
        #expect(try #require(last.trainAccuracy) >= 0.9)
    }

    @Test(.enabled(if: FitFixtures.hasCompiler, "needs cc"))
    func bothEnginesGiveTheSameCurve() throws {
        let scratch = try FitScratch()
        let c = try classifierRun(.c, scratch: scratch)
        let interpreter = try classifierRun(.interpreter, scratch: scratch)
        #expect(c.engine.hasPrefix("c ("))
        #expect(c.epochs.count == 6 && interpreter.epochs.count == 6)
        for (a, b) in zip(c.epochs, interpreter.epochs) {
            #expect(abs(a.trainLoss - b.trainLoss) < 1e-4)
            #expect(abs(try #require(a.testLoss) - (try #require(b.testLoss))) < 1e-4)
            #expect(a.testAccuracy == b.testAccuracy)
        }
        #expect(zip(c.params, interpreter.params).allSatisfy { abs($0 - $1) < 1e-8 })
    }

    /// An `int` target reads the label column as class indices: the same losses and accuracy as
    /// the one-hot model, with either engine.
    @Test(arguments: [FitOptions.Engine.interpreter, .c])
    func classIndexTargetMatchesOneHot(engine: FitOptions.Engine) throws {
        guard engine == .interpreter || FitFixtures.hasCompiler else { return }
        let scratch = try FitScratch()
        let oneHot = try classifierRun(engine, scratch: scratch)
        var options = FitOptions(
            modelPath: try scratch.write("indices.adj", FitFixtures.classIndexClassifier),
            dataPath: try scratch.write("train.csv", FitFixtures.clusters(rows: 150, seed: 1)))
        options.testPath = try scratch.write("test.csv", FitFixtures.clusters(rows: 60, seed: 2))
        (options.epochs, options.batch, options.seed, options.normalize, options.engine) = (6, 16, 7, true, engine)
        let (result, outcome, _) = FitFixtures.fit(options)
        #expect(result.status == 0, "\(result.errors)")
        let indices = try #require(outcome)
        #expect(indices.epochs.count == oneHot.epochs.count)
        for (a, b) in zip(indices.epochs, oneHot.epochs) {
            #expect(abs(a.trainLoss - b.trainLoss) < 1e-6, "\(a.trainLoss) vs \(b.trainLoss)")
            #expect(a.testAccuracy == b.testAccuracy)
        }
        #expect(try #require(indices.epochs.last?.testAccuracy) >= 0.9)
        // A label outside the classes is a usage error naming its line.
        options.dataPath = try scratch.write("bad.csv", "label,f0,f1,f2,f3\n3,0,0,0,0\n")
        let (bad, _, _) = FitFixtures.fit(options)
        #expect(bad.status == 2)
        #expect(bad.errors.contains("bad.csv:2: label 3 is not an integer from 0 to 2"), "\(bad.errors)")
    }

    /// The README's command for a few epochs: the two engines agree on the real data too.
    @Test(.enabled(if: FitFixtures.hasCompiler, "needs cc"))
    func digitsCurvesAgreeBetweenEngines() throws {
        var options = FitOptions(
            modelPath: Repository.url("samples/digits.adj").path, dataPath: Repository.url("samples/data/digits-train.csv").path)
        options.testPath = Repository.url("samples/data/digits-test.csv").path
        options.normalize = true
        options.epochs = 2
        var runs: [FitOutcome] = []
        for engine in [FitOptions.Engine.c, .interpreter] {
            options.engine = engine
            let (result, outcome, text) = FitFixtures.fit(options)
            #expect(result.status == 0, "\(result.errors)")
            #expect(text.contains("1500 training examples, 297 test examples, batches of 32"))
            runs.append(try #require(outcome))
        }
        for (c, interpreter) in zip(runs[0].epochs, runs[1].epochs) {
            #expect(abs(c.trainLoss - interpreter.trainLoss) < 1e-4)
            #expect(abs(try #require(c.testLoss) - (try #require(interpreter.testLoss))) < 1e-4)
            #expect(c.testAccuracy == interpreter.testAccuracy)
        }
        // Normalized digits learn fast: past 50% test accuracy after two epochs.
        #expect(try #require(runs[0].epochs.last?.testAccuracy) > 0.5)
    }

    @Test(arguments: [FitOptions.Engine.interpreter, .automatic])
    func regressionReportsTestLossWithTheTargetDeclaredFirst(engine: FitOptions.Engine) throws {
        let scratch = try FitScratch()
        var options = FitOptions(
            modelPath: try scratch.write("prices.adj", FitFixtures.regression),
            dataPath: try scratch.write("train.csv", FitFixtures.prices(rows: 200, seed: 3)))
        options.testPath = try scratch.write("test.csv", FitFixtures.prices(rows: 50, seed: 4))
        options.label = "price"
        options.epochs = 8
        options.batch = 20
        options.engine = engine
        let (result, outcome, text) = FitFixtures.fit(options)
        #expect(result.status == 0, "\(result.errors)")
        let epochs = try #require(outcome?.epochs)
        #expect(epochs.allSatisfy { $0.testAccuracy == nil && $0.trainAccuracy == nil })
        #expect(!text.contains("accuracy"))
        #expect(text.contains("test loss"))
        // The noise is 0.05, so a fitted line leaves a mean squared error near 0.0025.
        #expect(try #require(epochs.last?.testLoss) < 0.01)
        #expect(epochs[0].trainLoss > 10 * (try #require(epochs.last?.trainLoss)))
        let params = try #require(outcome?.params)
        #expect(params.count == 4)
        #expect(abs(params[0] - 1.5) < 0.05 && abs(params[1] + 2) < 0.05 && abs(params[3] - 1) < 0.05)
    }

    @Test func progressBarOnlyOnATerminal() {
        var terminal = ""
        FitDisplay(isTerminal: true) { terminal += $0 }.progress(epoch: 2, of: 10, done: 3, total: 6)
        #expect(terminal == "\repoch  2/10 [###############...............] 3/6 batches")
        var plain = ""
        let display = FitDisplay(isTerminal: false) { plain += $0 }
        display.progress(epoch: 2, of: 10, done: 3, total: 6)
        #expect(plain.isEmpty)
        let record = FitEpoch(epoch: 2, trainLoss: 0.5, testLoss: 0.25, trainAccuracy: 0.9, testAccuracy: 0.875, examplesPerSecond: 1234.4)
        display.epoch(record, of: 10)
        #expect(plain == "epoch  2/10  loss 0.5000  train accuracy 90.00%  test accuracy 87.50%  test loss 0.2500  1234 examples/s\n")
    }
}
