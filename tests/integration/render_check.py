#!/usr/bin/env python3
"""render_check.py CHROMIUM TMPDIR WIDTH PAGE... - renders each HTML page in
headless Chromium at WIDTH css px and checks its layout: no horizontal scroll
(scrollWidth > innerWidth), no table data cell with more than 12 characters of
text squeezed narrower than 6em, some visible text. Chromium's window is at
least 500 px wide, so the page is loaded in an iframe WIDTH px wide of a probe
page whose script measures it (the pages themselves have no script).
CT_SHOTS=DIR also keeps a screenshot of each page, DIR/NAME-WIDTH.png.
Prints one line per page; exits 1 when a page fails, naming what failed."""
import json, os, re, subprocess, sys

PROBE = r"""<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{margin:0}iframe{border:0;display:block}</style></head>
<body><iframe id="f" src="PAGE" style="width:WIDTHpx;height:HEIGHTpx"></iframe><script>
document.getElementById('f').addEventListener('load', function () {
  var window = this.contentWindow, document = this.contentDocument, out = top.document;
  var r = {w: window.innerWidth, sw: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight,
           squeezed: [], text: 0};
  var em = parseFloat(getComputedStyle(document.body).fontSize) || 16;
  document.querySelectorAll('td').forEach(function (c) {
    var t = (c.innerText || '').trim();
    var b = c.getBoundingClientRect();
    if (t.length > 12 && b.width > 0 && b.width < 6 * em)
      r.squeezed.push(Math.round(b.width) + 'px: ' + t.slice(0, 40));
  });
  r.text = (document.body.innerText || '').trim().length;
  out.documentElement.setAttribute('data-ct-probe', JSON.stringify(r));
});
</script></body></html>"""

def chrome(chromium, tmp, args, url):
    return subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                           "--no-first-run", "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", "--hide-scrollbars", "--allow-file-access-from-files",
                           "--user-data-dir=" + os.path.join(tmp, "chr-probe")] + args + [url],
                          capture_output=True, text=True, timeout=90).stdout

def main():
    chromium, tmp, width, pages = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    bad = 0
    for page in pages:
        page_abs = os.path.abspath(page)
        probe = os.path.join(os.path.dirname(page_abs), ".probe-" + os.path.basename(page))
        def write_probe(height):
            with open(probe, "w", encoding="utf-8") as f:
                f.write(PROBE.replace("PAGE", os.path.basename(page)).replace("WIDTH", str(width))
                        .replace("HEIGHT", str(height)))
        try:
            write_probe(900)
            out = chrome(chromium, tmp, ["--window-size=%d,900" % max(width, 500) , "--virtual-time-budget=3000",
                                         "--dump-dom"], "file://" + probe)
            m = re.search(r'data-ct-probe="([^"]*)"', out)
            shots = os.environ.get("CT_SHOTS")
            if shots and m:
                h = min(json.loads(m.group(1).replace("&quot;", '"'))["h"], 8000)
                write_probe(h)
                name = os.path.splitext(os.path.basename(page))[0]
                chrome(chromium, tmp, ["--window-size=%d,%d" % (max(width, 500), h),
                                       "--screenshot=" + os.path.join(shots, f"{name}-{width}.png")],
                       "file://" + probe)
        finally:
            os.unlink(probe)
        if not m:
            print(f"FAIL {page} @{width}px: no layout probe in the rendered page")
            bad += 1
            continue
        r = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
        errs = []
        if r["w"] != width:
            errs.append(f"viewport is {r['w']} px, not {width}")
        if r["sw"] > r["w"]:
            errs.append(f"horizontal scroll: content {r['sw']} px wide in a {r['w']} px window")
        if r["squeezed"]:
            errs.append(f"{len(r['squeezed'])} squeezed cells, e.g. {r['squeezed'][:3]}")
        if r["text"] < 20:
            errs.append("no visible text")
        print(("FAIL " if errs else "ok   ") + f"{page} @{width}px: width {r['sw']}/{r['w']}, "
              f"{r['text']} chars of text" + ("; " + "; ".join(errs) if errs else ""))
        bad += bool(errs)
    sys.exit(1 if bad else 0)

main()
