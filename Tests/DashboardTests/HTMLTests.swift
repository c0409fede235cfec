import Testing

@testable import Dashboard

/// Text from the vault is text on the page, whatever it holds.
struct HTMLTests {
    @Test func interpolatedTextIsEscapedAndMarkupIsNot() {
        let name = #"<script>alert("x")</script>&'"#
        let cell: HTML = "<td title=\"\(name)\">\(name)</td>"
        #expect(
            cell.markup
                == "<td title=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;\">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</td>"
        )
        let row: HTML = "<tr>\(cell)</tr>"
        #expect(row.markup.hasPrefix("<tr><td title="))
    }
}
