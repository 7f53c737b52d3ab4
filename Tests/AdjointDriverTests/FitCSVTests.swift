@testable import AdjointDriver
import AdjointInterpreter
import Foundation
import Testing

/// fit's CSV reader: RFC 4180 quoting, a byte order mark, line endings, and one number syntax
/// (the model language's decimals with a sign), refused numbers located as FILE:LINE:COLUMN.
@Suite struct FitCSVTests {
    private func model() throws -> FitModel {
        let scratch = try FitScratch()
        return try FitModel(try Commands.load(try scratch.write("m.adj", FitFixtures.classifier)).get())
    }

    private func parse(_ text: String) throws(FitUsageError) -> FitDataset {
        guard let model = try? model() else { throw FitUsageError(description: "no model") }
        return try FitDataset.parse(text, path: "t.csv", model: model, labelColumn: "label")
    }

    private func problem(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "accepted"
        } catch {
            return error.description
        }
    }

    @Test func byteOrderMarkQuotesAndLineEndings() throws {
        let plain = try parse("label,a,b,c,d\n1,1,2,3,4\n2,5,6,7,8\n")
        let variants = [
            "\u{FEFF}label,a,b,c,d\n1,1,2,3,4\n2,5,6,7,8\n",
            "\"label\",\"a\",\"b, with a comma\",\"c \"\"quoted\"\"\",d\r\n\"1\",1,\"2\",3,4\r\n2,5,6,7,8",
            "label,a,\"b\nover two lines\",c,d\r1,1,2,3,4\r\r2, 5 ,6,7,\"8\" \n\n  \n",
        ]
        for text in variants {
            let dataset = try parse(text)
            #expect(dataset.rows == 2)
            #expect(dataset.features == plain.features)
            #expect(dataset.classes == plain.classes)
        }
        #expect(problem("label,a,b,c,d\n1,1,\"2,3,4\n") == "t.csv:2:5: the quoted field has no closing '\"'")
        #expect(problem("label,a,b,c,d\n1,1,\"2\"x,3,4\n") == "t.csv:2:8: expected ',' or the end of the line after a quoted field")
    }

    @Test func oneNumberSyntaxWithLocatedErrors() throws {
        let numbers = try parse("label,a,b,c,d\n0,+1.5,-.25,1e3,2.5E-3\n1,0007,-0,1.0e+2,123456789012345678901234567890\n")
        let long = Double("123456789012345678901234567890")!
        #expect(numbers.features == [1.5, -0.25, 1000, 0.0025, 7, 0, 100, long])
        #expect(numbers.features[5].sign == .minus)
        for field in ["0x10", "nan", "inf", "-inf", "1_000", "1.", "1e", "e5", "1e999", "", "- 1", "1.5.2"] {
            let message = problem("label,a,b,c,d\n0,1,\(field),3,4\n")
            #expect(message.hasPrefix("t.csv:2:5: column 'b': '\(field)' is not a number (expected a decimal number"), "\(field): \(message)")
        }
    }

    /// The fast path (a mantissa below 2^53 scaled by an exact power of ten) and strtod agree
    /// with Swift's own correctly rounded reading on random decimals of every length.
    @Test func numbersAreCorrectlyRounded() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            let digits = String((0..<(1 + Int(random.next() % 24))).map { _ in Character(String(random.next() % 10)) })
            let point = Int(random.next() % UInt64(digits.count + 1))
            var text = point == digits.count ? digits : String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
            if text.hasPrefix(".") && text.count == 1 { text = "0" }
            if random.next() % 2 == 0 { text += "e\(Int(random.next() % 80) - 40)" }
            if random.next() % 2 == 0 { text = "-" + text }
            let bytes = Array(text.utf8)
            let value = bytes.withUnsafeBufferPointer { CSVNumber.parse($0, 0, $0.count) }
            #expect(value?.bitPattern == Double(text)?.bitPattern, "\(text)")
        }
    }

    @Test func largeFilesReportProgress() throws {
        let model = try model()
        let row = "1,0.5,0.25,0.125,0.0625\n"
        let text = "label,a,b,c,d\n" + String(repeating: row, count: 200_000)
        var reports: [(Int, Int)] = []
        let dataset = try Array(text.utf8).withUnsafeBufferPointer { bytes in
            try FitDataset.parse(bytes, path: "big.csv", model: model, labelColumn: "label") { reports.append(($0, $1)) }
        }
        #expect(dataset.rows == 200_000)
        #expect(dataset.features.count == 800_000)
        #expect(reports.count >= 3)
        #expect(reports.last.map { $0 == $1 } == true)
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.0 < $1.0 })
    }
}
