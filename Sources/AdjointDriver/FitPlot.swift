import Foundation

/// `--plot CURVE.svg`: the loss per epoch, training and test, as a standalone SVG that a browser
/// shows as is (no scripts, no external fonts or styles), with labelled axes, ticks and a legend.
struct FitPlot {
    /// One curve: its name in the legend, its colour and dash pattern, and a value per epoch.
    struct Series {
        var name: String
        var color: String
        var dash: String?
        var values: [Double]
    }

    var title: String
    var series: [Series]

    static let width = 640.0
    static let height = 400.0
    /// The plotting area inside the margins (room for the title, tick labels and axis labels).
    static let left = 72.0, right = 24.0, top = 44.0, bottom = 56.0

    init(title: String, epochs: [FitEpoch]) {
        self.title = title
        series = [Series(name: "training loss", color: "#1f77b4", dash: nil, values: epochs.map(\.trainLoss))]
        let test = epochs.compactMap(\.testLoss)
        if test.count == epochs.count && !test.isEmpty {
            series.append(Series(name: "test loss", color: "#d62728", dash: "6 4", values: test))
        }
    }

    /// Round tick values covering `low...high`: steps of 1, 2 or 5 times a power of ten.
    static func ticks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        let span = max(high - low, 1e-12)
        let raw = span / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var ticks: [Double] = []
        var value = (low / step).rounded(.down) * step
        while value <= high + step * 1e-9 {
            if value >= low - step * 1e-9 { ticks.append(value) }
            value += step
        }
        return ticks
    }

    static func label(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e6 { return String(Int(value)) }
        let text = String(format: "%.4g", value)
        return text
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// The SVG document.
    func svg() -> String {
        let (w, h) = (Self.width, Self.height)
        let plotWidth = w - Self.left - Self.right
        let plotHeight = h - Self.top - Self.bottom
        let count = series.map(\.values.count).max() ?? 0
        let finite = series.flatMap(\.values).filter(\.isFinite)
        let highest = max(finite.max() ?? 1, 1e-9)
        var yTicks = Self.ticks(0, highest, count: 6)
        // One more tick above the highest value when the round ones stop below it, so that the
        // axis covers the whole curve.
        if let last = yTicks.last, yTicks.count >= 2, last < highest { yTicks.append(last + (last - yTicks[yTicks.count - 2])) }
        let yMax = yTicks.last ?? 1
        let xMax = Double(max(count, 2))
        let xTicks = Self.ticks(1, xMax, count: min(count, 10)).filter { $0 >= 1 && $0 == $0.rounded() }
        func x(_ epoch: Double) -> Double { Self.left + (epoch - 1) / max(xMax - 1, 1) * plotWidth }
        func y(_ value: Double) -> Double { Self.top + plotHeight - value / yMax * plotHeight }
        func f(_ value: Double) -> String { String(format: "%.1f", value) }

        var lines = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" font-family=\"sans-serif\" font-size=\"12\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(f(w / 2))\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">\(Self.escape(title))</text>",
        ]
        for tick in yTicks {
            lines.append("<line x1=\"\(f(Self.left))\" y1=\"\(f(y(tick)))\" x2=\"\(f(w - Self.right))\" y2=\"\(f(y(tick)))\" stroke=\"#e0e0e0\"/>")
            lines.append("<text x=\"\(f(Self.left - 8))\" y=\"\(f(y(tick) + 4))\" text-anchor=\"end\">\(Self.label(tick))</text>")
        }
        for tick in xTicks {
            lines.append("<line x1=\"\(f(x(tick)))\" y1=\"\(f(Self.top + plotHeight))\" x2=\"\(f(x(tick)))\" y2=\"\(f(Self.top + plotHeight + 5))\" stroke=\"black\"/>")
            lines.append("<text x=\"\(f(x(tick)))\" y=\"\(f(Self.top + plotHeight + 20))\" text-anchor=\"middle\">\(Self.label(tick))</text>")
        }
        lines.append("<polyline points=\"\(f(Self.left)),\(f(Self.top)) \(f(Self.left)),\(f(Self.top + plotHeight)) \(f(w - Self.right)),\(f(Self.top + plotHeight))\" fill=\"none\" stroke=\"black\"/>")
        lines.append("<text x=\"\(f(Self.left + plotWidth / 2))\" y=\"\(f(h - 14))\" text-anchor=\"middle\">epoch</text>")
        lines.append("<text x=\"18\" y=\"\(f(Self.top + plotHeight / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(f(Self.top + plotHeight / 2)))\">loss</text>")
        for (index, curve) in series.enumerated() {
            let points = curve.values.enumerated().filter { $0.element.isFinite }
                .map { "\(f(x(Double($0.offset + 1)))),\(f(y($0.element)))" }.joined(separator: " ")
            let dash = curve.dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
            lines.append("<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(curve.color)\" stroke-width=\"2\"\(dash)/>")
            let legendY = Self.top + 14 + Double(index) * 18
            let legendX = w - Self.right - 150
            lines.append("<line x1=\"\(f(legendX))\" y1=\"\(f(legendY - 4))\" x2=\"\(f(legendX + 28))\" y2=\"\(f(legendY - 4))\" stroke=\"\(curve.color)\" stroke-width=\"2\"\(dash)/>")
            lines.append("<text x=\"\(f(legendX + 36))\" y=\"\(f(legendY))\">\(Self.escape(curve.name))</text>")
        }
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }
}
