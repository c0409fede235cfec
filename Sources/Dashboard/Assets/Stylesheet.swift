/// The dashboard's one stylesheet, served from the binary at `/assets/app.css`. System fonts, no images; colours
/// chosen for WCAG AA contrast in light and dark schemes; a single column on a phone.
enum Stylesheet {
    static let path = "/assets/app.css"

    static let text = """
        :root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #4a5360; --line: #c9d1d9;
          --accent: #0b5cad; --accent-fg: #ffffff; --bad: #a4161a; --good: #1a7f37; --panel: #f4f6f8; }
        @media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #a9b4c0;
          --line: #3d444d; --accent: #58a6ff; --accent-fg: #0d1117; --bad: #ff7b72; --good: #56d364; --panel: #161b22; } }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
          background: var(--bg); }
        a { color: var(--accent); }
        .skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: 1rem; background: var(--bg); }
        header { border-bottom: 1px solid var(--line); padding: .5rem 1rem; display: flex; flex-wrap: wrap;
          gap: 1rem; align-items: center; }
        header .brand { font-weight: 700; } nav { display: flex; gap: 1rem; flex-wrap: wrap; flex: 1; }
        main { padding: 1rem; max-width: 72rem; margin: 0 auto; }
        h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
        table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .4rem .5rem;
          border-bottom: 1px solid var(--line); vertical-align: top; }
        .scroll { overflow-x: auto; }
        form.inline { display: inline; } fieldset { border: 1px solid var(--line); border-radius: 6px;
          margin: 1rem 0; padding: .5rem 1rem 1rem; } legend { font-weight: 600; }
        label { display: block; margin: .5rem 0 .2rem; font-weight: 600; }
        input[type=text], input[type=password], input[type=number], select, textarea { font: inherit;
          padding: .35rem .5rem; border: 1px solid var(--muted); border-radius: 4px; width: 100%; max-width: 32rem;
          background: var(--bg); color: var(--fg); }
        .check label { display: inline; font-weight: 400; }
        button { font: inherit; padding: .35rem .8rem; border-radius: 4px; border: 1px solid var(--accent);
          background: var(--accent); color: var(--accent-fg); cursor: pointer; margin-top: .5rem; }
        button.secondary { background: transparent; color: var(--accent); }
        button.danger { background: var(--bad); border-color: var(--bad); color: #fff; }
        :focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
        .flash { padding: .6rem 1rem; border-radius: 6px; margin-bottom: 1rem; border: 1px solid; }
        .flash.done { border-color: var(--good); } .flash.failed { border-color: var(--bad); }
        .muted { color: var(--muted); } .badge { font-size: .8rem; padding: 0 .4rem; border: 1px solid var(--line);
          border-radius: 999px; white-space: nowrap; }
        .state-running { color: var(--good); } .state-failing, .state-needs-login { color: var(--bad); }
        code, pre, .token { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9rem; }
        pre { background: var(--panel); padding: .75rem; overflow-x: auto; border-radius: 6px; }
        .token { word-break: break-all; background: var(--panel); padding: .5rem; display: block; }
        .grid { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); }
        svg.chart { width: 100%; height: auto; max-width: 48rem; } svg.chart text { fill: var(--muted); font-size: 11px; }
        svg.chart .bar { fill: var(--accent); } svg.chart .bar.errors { fill: var(--bad); }
        """
}
