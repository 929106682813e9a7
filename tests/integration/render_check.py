#!/usr/bin/env python3
"""render_check.py CHROMIUM TMPDIR WIDTH PAGE... - renders HTML pages in
headless Chromium WIDTH css px wide and checks their layout: no horizontal
scroll (scrollWidth > innerWidth), no table data cell with more than 12
characters of text squeezed narrower than 6em, visible text (not blank).

Chromium's window is at least 500 px wide, so each page is loaded in an
iframe WIDTH px wide of a probe page (beside the pages, so that the iframes
are same-origin with --allow-file-access-from-files) whose script measures it
(one page after the other in the same iframe);
the pages themselves have no script. One Chromium run measures many pages.
CT_SHOTS=DIR also keeps a full-height screenshot of each page, DIR/NAME-WIDTH.png.
Prints one line per page; exits 1 when a page fails, naming what failed."""
import json, os, re, subprocess, sys

PROBE_HEAD = """<!DOCTYPE html><html><head><meta charset="utf-8">
<style>body{margin:0}iframe{border:0;display:block}</style></head><body>
"""
PROBE_SCRIPT = r"""<script>
var f = document.querySelector('iframe'), pages = JSON.parse(f.getAttribute('data-pages')), i = 0, res = {};
function measure() {
  var win = f.contentWindow, doc = f.contentDocument;
  var r = {w: win.innerWidth, sw: doc.documentElement.scrollWidth, h: doc.documentElement.scrollHeight,
           squeezed: [], text: 0};
  var em = parseFloat(win.getComputedStyle(doc.body).fontSize) || 16;
  doc.querySelectorAll('td').forEach(function (c) {
    var t = (c.innerText || '').trim(), b = c.getBoundingClientRect();
    if (t.length > 12 && b.width > 0 && b.width < 6 * em)
      r.squeezed.push(Math.round(b.width) + 'px: ' + t.slice(0, 40));
  });
  r.text = (doc.body.innerText || '').trim().length;
  res[pages[i]] = r;
  if (++i < pages.length) f.src = pages[i].split('/').pop();
  else document.documentElement.setAttribute('data-ct-probe', JSON.stringify(res));
}
f.addEventListener('load', measure);
f.src = pages[0].split('/').pop();
</script></body></html>"""


def chrome(chromium, tmp, args, url):
    return subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                           "--no-first-run", "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", "--hide-scrollbars", "--allow-file-access-from-files",
                           "--user-data-dir=" + os.path.join(tmp, "chr-probe")] + args + [url],
                          capture_output=True, text=True, timeout=180).stdout


def write_probe(path, pages, width, height):
    with open(path, "w", encoding="utf-8") as f:
        f.write(PROBE_HEAD)
        f.write("<iframe data-pages='%s' style='width:%dpx;height:%dpx'></iframe>\n"
                % (json.dumps(pages).replace("&", "&amp;").replace("'", "&#39;"), width, height))
        f.write(PROBE_SCRIPT)


def main():
    chromium, tmp, width, pages = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    bad = 0
    by_dir = {}
    for p in pages:
        by_dir.setdefault(os.path.dirname(os.path.abspath(p)), []).append(p)
    results = {}
    for d, group in by_dir.items():
        probe = os.path.join(d, ".probe.html")
        for i in range(0, len(group), 100):
            chunk = group[i:i + 100]
            write_probe(probe, chunk, width, 900)
            try:
                out = chrome(chromium, tmp, ["--window-size=%d,900" % max(width, 500), "--virtual-time-budget=60000",
                                             "--dump-dom"], "file://" + probe)
            finally:
                os.unlink(probe)
            m = re.search(r'data-ct-probe="([^"]*)"', out)
            if m:
                results.update(json.loads(m.group(1).replace("&quot;", '"').replace("&lt;", "<")
                                          .replace("&gt;", ">").replace("&amp;", "&")))
        shots = os.environ.get("CT_SHOTS")
        if shots:
            for p in group:
                if p not in results:
                    continue
                h = min(results[p]["h"], 12000)
                write_probe(probe, [p], width, h)
                name = os.path.splitext(os.path.basename(p))[0]
                try:
                    chrome(chromium, tmp, ["--window-size=%d,%d" % (max(width, 500), h),
                                           "--screenshot=" + os.path.join(shots, f"{name}-{width}.png")],
                           "file://" + probe)
                finally:
                    os.unlink(probe)
    for page in pages:
        r = results.get(page)
        if r is None:
            print(f"FAIL {page} @{width}px: the page did not load in Chromium")
            bad += 1
            continue
        errs = []
        if r["w"] != width:
            errs.append(f"viewport is {r['w']} px, not {width}")
        if r["sw"] > r["w"]:
            errs.append(f"horizontal scroll: content {r['sw']} px wide in a {r['w']} px window")
        if r["squeezed"]:
            errs.append(f"{len(r['squeezed'])} squeezed cells, e.g. {r['squeezed'][:3]}")
        if r["text"] < 20:
            errs.append("blank: no visible text")
        print(("FAIL " if errs else "ok   ") + f"{page} @{width}px: {r['sw']} px wide, "
              f"{r['text']} characters of text" + ("; " + "; ".join(errs) if errs else ""))
        bad += bool(errs)
    sys.exit(1 if bad else 0)


main()
