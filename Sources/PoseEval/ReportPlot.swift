// A tiny SVG line plot for report.html: one or more (x, y) series on shared axes, no dependencies.
import Foundation

/// One line of a plot.
public struct PlotSeries: Sendable {
    public var name: String
    public var points: [SIMD2<Double>]
    /// CSS colour, e.g. `#1f77b4`.
    public var color: String

    public init(name: String, points: [SIMD2<Double>], color: String = "#1f77b4") {
        self.name = name
        self.points = points
        self.color = color
    }
}

/// An inline `<svg>` line plot of `series` (non-finite points dropped) with min/max axis labels.
///
/// Each series with at least one point is one `<path d="M x y L x y …">`; a single point is drawn as a dot.
public func svgLinePlot(_ series: [PlotSeries], title: String, xLabel: String, yLabel: String,
                        width: Int = 520, height: Int = 260) -> String {
    let clean = series.map { s in
        PlotSeries(name: s.name, points: s.points.filter { $0.x.isFinite && $0.y.isFinite }, color: s.color)
    }
    let all = clean.flatMap(\.points)
    let (left, right, top, bottom) = (62.0, 12.0, 28.0, 40.0)
    let plotW = Double(width) - left - right, plotH = Double(height) - top - bottom
    var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
        + "viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\" font-size=\"11\">"
    svg += "<text x=\"\(Double(width) / 2)\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">\(htmlEscape(title))</text>"
    svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#888\"/>"
    guard let x0 = all.map(\.x).min(), let x1 = all.map(\.x).max(),
          let y0 = all.map(\.y).min(), let y1 = all.map(\.y).max() else {
        svg += "<text x=\"\(left + plotW / 2)\" y=\"\(top + plotH / 2)\" text-anchor=\"middle\">no data</text></svg>"
        return svg
    }
    let xSpan = x1 > x0 ? x1 - x0 : 1, ySpan = y1 > y0 ? y1 - y0 : 1
    func px(_ p: SIMD2<Double>) -> (Double, Double) {
        (left + (p.x - x0) / xSpan * plotW, top + plotH - (p.y - y0) / ySpan * plotH)
    }
    let f = { (v: Double) in String(format: "%.1f", v) }
    for (i, s) in clean.enumerated() where !s.points.isEmpty {
        let d = s.points.enumerated().map { j, p in
            let (x, y) = px(p)
            return "\(j == 0 ? "M" : "L")\(f(x)) \(f(y))"
        }.joined(separator: " ")
        svg += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.5\"/>"
        if s.points.count == 1 {
            let (x, y) = px(s.points[0])
            svg += "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"2.5\" fill=\"\(s.color)\"/>"
        }
        if clean.count > 1 {
            let ly = top + 12 + Double(i) * 14
            svg += "<text x=\"\(f(left + plotW - 6))\" y=\"\(f(ly))\" text-anchor=\"end\" fill=\"\(s.color)\">\(htmlEscape(s.name))</text>"
        }
    }
    let label = { (v: Double) in String(format: abs(v) >= 1000 || (abs(v) < 0.01 && v != 0) ? "%.3g" : "%.4g", v) }
    svg += "<text x=\"\(f(left - 4))\" y=\"\(f(top + 4))\" text-anchor=\"end\">\(label(y1))</text>"
    svg += "<text x=\"\(f(left - 4))\" y=\"\(f(top + plotH))\" text-anchor=\"end\">\(label(y0))</text>"
    svg += "<text x=\"\(f(left))\" y=\"\(f(top + plotH + 14))\" text-anchor=\"middle\">\(label(x0))</text>"
    svg += "<text x=\"\(f(left + plotW))\" y=\"\(f(top + plotH + 14))\" text-anchor=\"middle\">\(label(x1))</text>"
    svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(Double(height) - 6))\" text-anchor=\"middle\">\(htmlEscape(xLabel))</text>"
    svg += "<text x=\"14\" y=\"\(f(top + plotH / 2))\" text-anchor=\"middle\" "
        + "transform=\"rotate(-90 14 \(f(top + plotH / 2)))\">\(htmlEscape(yLabel))</text>"
    return svg + "</svg>"
}

/// `&`, `<`, `>`, `"` and `'` as HTML entities.
func htmlEscape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(c)
        }
    }
    return out
}
