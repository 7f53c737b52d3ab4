@testable import AdjointDriver
import Foundation
import Testing

/// `fit`'s C engine builds the generated C in the compiler's GNU mode, where `linux` and `unix` are
/// macros: a model whose names are macros of the headers still trains.
@Suite struct FitNameTests {
    static let model = """
        dim unix
        input linux: [unix]
        input M_PI: [unix, 3]
        param SIZE_MAX: [3] = normal(0, 0.1)
        param errno = 0.5
        loss = mse(M_PI @ SIZE_MAX + errno, linux)
        minimize loss using sgd(lr = 0.05)
        """

    @Test(.enabled(if: FitFixtures.hasCompiler, "needs cc"))
    func macroNamesTrainOnTheCEngine() throws {
        let scratch = try FitScratch()
        var options = FitOptions(
            modelPath: try scratch.write("linux.adj", Self.model),
            dataPath: try scratch.write("train.csv", FitFixtures.prices(rows: 200, seed: 3)))
        options.label = "price"
        options.epochs = 8
        options.batch = 20
        options.engine = .c
        let (result, outcome, _) = FitFixtures.fit(options)
        #expect(result.status == 0, "\(result.errors)")
        let run = try #require(outcome)
        #expect(run.engine.hasPrefix("c ("))
        #expect(run.epochs[0].trainLoss > 10 * (try #require(run.epochs.last?.trainLoss)))
    }
}
