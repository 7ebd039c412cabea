/** The playground's HTML shell; cli/playground/page.ts (bundled as playground.js) fills it in. */
export const PLAYGROUND_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>epsx playground: EPS++ in the browser</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #222; max-width: 1400px; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  h2 { font-size: 16px; margin: 18px 0 6px; }
  .muted { color: #666; }
  #state { display: block; margin: 6px 0; font-family: ui-monospace, monospace; }
  .controls { display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: center; margin: 8px 0; }
  .controls label { display: inline-flex; gap: 6px; align-items: center; }
  .controls input[type=range] { width: 110px; }
  .controls output { font-family: ui-monospace, monospace; min-width: 3em; }
  fieldset { border: 1px solid #ccc; border-radius: 6px; margin: 6px 0; }
  button { font-size: 14px; padding: 3px 12px; }
  table.agree { border-collapse: collapse; font-size: 13px; }
  table.agree td, table.agree th { padding: 1px 10px 1px 0; text-align: left; }
  .ok { color: #176f2c; } .bad { color: #b00020; font-weight: bold; }
  .charts { display: flex; gap: 24px; flex-wrap: wrap; }
  .charts canvas { border: 1px solid #ddd; }
  .legend span { margin-right: 14px; }
  table.panels { border-collapse: collapse; }
  table.panels th { font-weight: normal; font-size: 12px; text-align: center; vertical-align: bottom; max-width: 104px; padding: 2px; }
  table.panels th b { display: block; font-size: 13px; }
  table.panels th small { color: #555; display: block; }
  table.panels td { padding: 2px; }
  table.panels td.method { font-weight: bold; padding-right: 8px; }
  table.panels canvas { width: 96px; height: 96px; image-rendering: pixelated; display: block; }
</style>
</head>
<body>
<h1>epsx playground: EPS++ learning in your browser</h1>
<div class="muted">The classifier of <a href="https://arxiv.org/abs/2110.07185">EPS++</a> trained live with cam, eps and eps++
on a tiny synthetic set whose saliency maps are wrong on purpose (missing classes, missing parts, false coverage).
Everything runs here, in this page, with the same code as the <code>epsx</code> command.</div>
<output id="state" data-step="0" data-loss="" data-backend="" data-agree="" data-done="0"></output>
<div id="app">loading...</div>
<script type="module" src="playground.js"></script>
</body>
</html>
`;
