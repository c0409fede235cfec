/// Charts drawn as SVG on the server: no script, no library. Each chart has a text alternative (its `<title>` and
/// `<desc>`, and a `<title>` on every bar), and the numbers are in a table beside it.
enum Chart {
    struct Bar: Sendable {
        let label: String
        let value: Double
        /// A second value drawn over the first (errors over calls), at most `value`.
        var overlay: Double = 0
    }

    /// Vertical bars over time, `overlay` in the error colour; `caption` names the chart for screen readers.
    static func columns(_ bars: [Bar], caption: String, unit: String) -> HTML {
        let (width, height, left, bottom) = (720.0, 200.0, 40.0, 20.0)
        let top = max(bars.map(\.value).max() ?? 0, 1)
        let step = (width - left) / Double(max(bars.count, 1))
        let plotted = bars.enumerated().map { index, bar -> HTML in
            let x = left + Double(index) * step
            let h = (height - bottom - 10) * bar.value / top
            let e = (height - bottom - 10) * bar.overlay / top
            let tip =
                "\(bar.label): \(format(bar.value)) \(unit)"
                + (bar.overlay > 0 ? ", \(format(bar.overlay)) errors" : "")
            let label: HTML =
                index % max(1, bars.count / 6) == 0
                ? "<text x=\"\(format(x))\" y=\"\(format(height - 5))\">\(bar.label)</text>" : .empty
            return """
                <g><title>\(tip)</title><rect class="bar" x="\(format(x + 1))" y="\(format(height - bottom - h))" \
                width="\(format(max(step - 2, 1)))" height="\(format(h))"></rect>\
                <rect class="bar errors" x="\(format(x + 1))" y="\(format(height - bottom - e))" \
                width="\(format(max(step - 2, 1)))" height="\(format(e))"></rect></g>\(label)
                """
        }
        let total = bars.reduce(0) { $0 + $1.value }
        return """
            <svg class="chart" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-labelledby="\(id(caption))">
            <title id="\(id(caption))">\(caption)</title><desc>\(format(total)) \(unit) in all</desc>
            <text x="0" y="12">\(format(top))</text><text x="0" y="\(format(height - bottom))">0</text>
            \(plotted)</svg>
            """
    }

    /// Horizontal bars, one per row (a tool, a caller), longest first.
    static func rows(_ bars: [Bar], caption: String, unit: String) -> HTML {
        let rowHeight = 22.0
        let (width, labelWidth) = (720.0, 260.0)
        let top = max(bars.map(\.value).max() ?? 0, 1)
        let height = rowHeight * Double(max(bars.count, 1)) + 4
        let plotted = bars.enumerated().map { index, bar -> HTML in
            let y = Double(index) * rowHeight
            let w = (width - labelWidth - 80) * bar.value / top
            return """
                <g><title>\(bar.label): \(format(bar.value)) \(unit)</title>\
                <text x="0" y="\(format(y + 15))">\(String(bar.label.prefix(36)))</text>\
                <rect class="bar" x="\(format(labelWidth))" y="\(format(y + 3))" width="\(format(w))" height="16"></rect>\
                <text x="\(format(labelWidth + w + 4))" y="\(format(y + 15))">\(format(bar.value)) \(unit)</text></g>
                """
        }
        return """
            <svg class="chart" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-labelledby="\(id(caption))">
            <title id="\(id(caption))">\(caption)</title>\(plotted)</svg>
            """
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    private static func id(_ caption: String) -> String {
        "chart-" + String(caption.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }
}
