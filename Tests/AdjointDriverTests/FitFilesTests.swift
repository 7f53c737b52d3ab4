@testable import AdjointDriver
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// The files fit reads and writes: the params file (round trip, `--load` checks), the SVG loss
/// curve, and the CSV's normalization.
@Suite struct FitFilesTests {
    @Test func paramsFileRoundTripsAndNamesDifferences() throws {
        let file = FitParamsFile(
            model: "digits", entries: [.init(name: "W", sizes: [2, 3]), .init(name: "b", sizes: [3])],
            values: [1, -2, 0.5, .pi, 1e-300, -0.0, 7, 8, 9])
        let data = file.encoded()
        // magic 8 + version 4 + checksum 4 + name 4+6 + count 4 + (4+1 + 4 + 16) + (4+1 + 4 + 8) + 9 values.
        #expect(data.count == 8 + 4 + 4 + 10 + 4 + 25 + 17 + 72)
        #expect(Array(data.prefix(12)) == Array("ADJPARAM".utf8) + [2, 0, 0, 0])
        let decoded = try FitParamsFile(decoding: data, path: "p.bin")
        #expect(decoded == file)
        #expect(decoded.values.map(\.bitPattern) == file.values.map(\.bitPattern))
        #expect(decoded.differences(from: file.entries).isEmpty)
        let other: [FitParamsFile.Entry] = [.init(name: "W", sizes: [3, 2]), .init(name: "c", sizes: [3])]
        #expect(decoded.differences(from: other) == [
            "param 'W' has shape [2, 3] in the file, [3, 2] in the model",
            "param 'c' [3] is missing from the file",
            "the file has param 'b' [3], which the model does not declare",
        ])
        #expect(throws: FitUsageError.self) { try FitParamsFile(decoding: data.dropLast(3), path: "p.bin") }
        #expect(throws: FitUsageError.self) { try FitParamsFile(decoding: Data("not params".utf8), path: "p.bin") }
    }

    /// Version 2's CRC-32 catches every flipped bit after it; version 1 (no checksum) still reads.
    @Test func checksumCatchesDamageAndVersionOneStillReads() throws {
        let file = FitParamsFile(model: "m", entries: [.init(name: "w", sizes: [3])], values: [1.5, -2, 1e-300])
        let data = file.encoded()
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)  // the standard check value
        for bit in stride(from: 16 * 8, to: data.count * 8, by: 1) {
            var damaged = data
            damaged[bit / 8] ^= UInt8(1 << (bit % 8))
            #expect(throws: FitUsageError.self) { try FitParamsFile(decoding: damaged, path: "p.bin") }
        }
        do {
            _ = try FitParamsFile(decoding: { var d = data; d[d.count - 1] ^= 1; return d }(), path: "p.bin")
        } catch {
            #expect(error.description.contains("p.bin is not a valid params file: its checksum is"))
            #expect(error.description.contains("the file is damaged"))
        }
        var versionOne = Data(data.prefix(8)) + Data([1, 0, 0, 0])
        versionOne += data.dropFirst(16)
        #expect(try FitParamsFile(decoding: versionOne, path: "p.bin") == file)
    }

    @Test func loadRefusesTheParamsOfAnotherModel() throws {
        let scratch = try FitScratch()
        var options = FitOptions(
            modelPath: try scratch.write("classes.adj", FitFixtures.classifier),
            dataPath: try scratch.write("train.csv", FitFixtures.clusters(rows: 30, seed: 5)))
        options.epochs = 1
        options.engine = .interpreter
        options.savePath = scratch.path("params.bin")
        #expect(FitFixtures.fit(options).result.status == 0)
        var other = options
        other.modelPath = try scratch.write("other.adj", FitFixtures.classifier)
        other.savePath = nil
        other.loadPath = scratch.path("params.bin")
        let refused = FitFixtures.fit(other)
        #expect(refused.result.status == 2)
        #expect(refused.result.errors.contains("the file holds the params of model 'classes', not 'other'"), "\(refused.result.errors)")
    }

    @Test func saveThenLoadContinuesFromTheSavedParams() throws {
        let scratch = try FitScratch()
        var options = FitOptions(
            modelPath: try scratch.write("classes.adj", FitFixtures.classifier),
            dataPath: try scratch.write("train.csv", FitFixtures.clusters(rows: 60, seed: 5)))
        options.epochs = 2
        options.engine = .interpreter
        options.savePath = scratch.path("params.bin")
        let first = FitFixtures.fit(options)
        #expect(first.result.status == 0, "\(first.result.errors)")
        let saved = try FitParamsFile(decoding: try Data(contentsOf: URL(fileURLWithPath: options.savePath!)), path: "")
        #expect(saved.model == "classes")
        #expect(saved.entries == [.init(name: "W", sizes: [4, 3]), .init(name: "b", sizes: [3])])
        #expect(saved.values == first.outcome?.params)

        var again = options
        again.savePath = nil
        again.loadPath = scratch.path("params.bin")
        again.epochs = 0
        let loaded = FitFixtures.fit(again)
        #expect(loaded.result.status == 0)
        #expect(loaded.outcome?.params == saved.values)
        #expect(loaded.text.contains("without training: loss "))

        let wider = try scratch.write("wider.adj", FitFixtures.classifier.replacingOccurrences(of: "[4, 3]", with: "[4, 3]\nparam c: [3]")
            .replacingOccurrences(of: "x @ W + b", with: "x @ W + b + c"))
        var mismatch = again
        mismatch.modelPath = wider
        let refused = FitFixtures.fit(mismatch)
        #expect(refused.result.status == 2)
        #expect(refused.result.errors.contains("param 'c' [3] is missing from the file"))
    }

    /// Collects the text of every element, and fails on malformed XML.
    private final class Texts: NSObject, XMLParserDelegate {
        var texts: [String] = []
        var elements: [String] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements.append(name)
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { texts.append(string) }
    }

    @Test func plotIsWellFormedSVGWithLabelledAxes() throws {
        let epochs = (1...12).map { FitEpoch(epoch: $0, trainLoss: 2 / Double($0), testLoss: 2.2 / Double($0), examplesPerSecond: 1) }
        let svg = FitPlot(title: "m.adj: loss & <curve>", epochs: epochs).svg()
        let parser = XMLParser(data: Data(svg.utf8))
        let texts = Texts()
        parser.delegate = texts
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(texts.elements.first == "svg")
        #expect(texts.elements.filter { $0 == "polyline" }.count == 3)  // the axes, two curves
        // The parser hands the escaped title over in pieces.
        #expect(texts.texts.joined().contains("m.adj: loss & <curve>"))
        for label in ["epoch", "loss", "training loss", "test loss", "0", "2", "10"] {
            #expect(texts.texts.contains(label), "missing text \(label)")
        }
        // The y axis reaches past the highest loss (2.2).
        #expect(texts.texts.contains("2.5"))
        #expect(FitPlot.ticks(0, 2.2, count: 6) == [0, 0.5, 1, 1.5, 2])
        #expect(FitPlot.ticks(1, 30, count: 10) == [5, 10, 15, 20, 25, 30])
    }

    @Test func normalizationUsesTrainingStatistics() throws {
        let scratch = try FitScratch()
        let model = try FitModel(try #require(try? Commands.load(try scratch.write("m.adj", FitFixtures.classifier)).get()))
        var train = try FitDataset.parse("label,a,b,c,d\n0,1,5,0,2\n1,3,5,0,4\n2,5,5,0,6\n", path: "t.csv", model: model, labelColumn: "label")
        #expect(train.targets == [1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(train.classes == [0, 1, 2])
        let normalization = FitNormalization(train, featureCount: 4)
        normalization.apply(to: &train)
        let first = stride(from: 0, to: 12, by: 4).map { train.features[$0] }
        #expect(abs(first.reduce(0, +)) < 1e-12)
        #expect(abs(first.map { $0 * $0 }.reduce(0, +) / 3 - 1) < 1e-12)
        // A constant column becomes zero rather than NaN.
        #expect(stride(from: 1, to: 12, by: 4).allSatisfy { train.features[$0] == 0 })
        var test = try FitDataset.parse("label,a,b,c,d\n0,3,5,1,4\n", path: "u.csv", model: model, labelColumn: "label")
        normalization.apply(to: &test)
        #expect(abs(test.features[0]) < 1e-12 && test.features[2] == 1)
    }
}
