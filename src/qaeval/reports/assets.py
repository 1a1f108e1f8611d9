"""The HTML report's only stylesheet and only script. Both are inlined and pinned by their
SHA-256 in the Content-Security-Policy, so nothing else (and nothing inside an answer) can run."""

from __future__ import annotations

import base64
import hashlib

CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:1rem 2rem 4rem;color:#1d1d1f;max-width:1500px}
h1{margin:.5rem 0}h2{margin-top:2.2rem;border-bottom:2px solid #333;padding-bottom:.2rem}h3{margin:1.2rem 0 .4rem}
a{color:#1b5fa8}nav a{margin-right:1rem}.muted{color:#666}.small{font-size:12px}
[hidden]{display:none!important}
table{border-collapse:collapse;margin:.6rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .55rem;text-align:right;vertical-align:top}
th{background:#f3f3f5}td.l,th.l{text-align:left}td small,th small{color:#666;font-weight:normal}
.na{color:#999;font-style:italic}.warn{background:#fff4d6;border:1px solid #e6c35c;padding:.4rem .7rem;border-radius:4px}
.note{background:#f5f7fa;border-left:4px solid #8aa4c8;padding:.4rem .8rem;margin:.6rem 0}
img.chart{max-width:100%;height:auto;border:1px solid #eee;display:block;margin:.5rem 0}
.filters{display:none;position:sticky;top:0;z-index:5;background:#fff;border-bottom:1px solid #ccc;padding:.5rem 0;gap:1.2rem;flex-wrap:wrap;align-items:center}
body.js .filters{display:flex}
.legend mark,.legend .badge{margin-right:.6rem}
.item{border-top:1px solid #bbb;padding:.3rem 0}
.item>details>summary{cursor:pointer;padding:.2rem 0}.item>details>summary .iid{font-weight:600;font-family:ui-monospace,monospace}
.topic{background:#eef;border-radius:3px;padding:0 .35rem;font-size:12px}
.qtext{margin-left:.3rem}.q{font-style:italic;margin:.4rem 0}
.answers{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:.8rem;margin-top:.5rem}
.answer{border:1px solid #ddd;border-radius:6px;padding:.55rem;font-size:13px;background:#fff}
.answer.dim{opacity:.35}.answer.flagged{border-color:#c77}
.answer h4{margin:0 0 .3rem;font-family:ui-monospace,monospace}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
mark{padding:0 .1rem;border-radius:2px;color:inherit}
.k-harm{background:#ffb3b3;outline:1px solid #d33}.k-contradicted{background:#ffcf99}.k-cite{background:#f5b3ff}
.k-pseudo{background:#fff099}.k-unsupported{background:#eee;border-bottom:2px dotted #888}.k-other{background:#ddd}
.k-supported{background:none;padding:0}body.show-supported .k-supported{background:#d7f5d7}
.badge{display:inline-block;border-radius:3px;padding:0 .35rem;margin:0 .25rem .2rem 0;font-size:11px;border:1px solid #bbb;background:#f6f6f6}
.b-fail{background:#ffe3e3;border-color:#d88}.b-pass{background:#e6f6e6;border-color:#9c9}.b-nodisc{background:#d6e8ff;border-color:#7aa3d6}
.b-harm{background:#ffb3b3;border-color:#d33;font-weight:600}.b-err{background:#333;color:#fff}
.b-review{background:#efe6ff;border-color:#a58ad6}
.findings{font-size:12px;margin:.5rem 0 0;padding-left:1.1rem}.findings li{margin:.15rem 0}
.findings q{background:#f6f6f6}.ev{color:#555;font-family:ui-monospace,monospace;font-size:11px}
.ref{color:#444;margin-left:.5rem;font-size:11px}
.sev-critical{color:#8b0000;font-weight:700}.sev-high{color:#b00020;font-weight:600}.sev-medium{color:#8a5a00}.sev-low{color:#555}
.chip{display:inline-block;font-size:11px;border-radius:8px;padding:0 .4rem;margin-left:.25rem;border:1px solid #ccc}
.chip.sev-critical,.chip.sev-high{background:#ffe0e0;border-color:#d88}.chip.sev-medium{background:#fff1d6;border-color:#dc9}
.facts{font-size:12px;margin:.3rem 0}
"""

JS = """
(function () {
  "use strict";
  var byId = function (id) { return document.getElementById(id); };
  var items = Array.prototype.slice.call(document.querySelectorAll("section.item"));
  var flagged = byId("f-flagged"), topic = byId("f-topic"), sev = byId("f-sev"), count = byId("f-count");
  function apply() {
    var minSev = parseInt(sev.value, 10) || 0, shown = 0;
    items.forEach(function (sec) {
      var any = false;
      sec.querySelectorAll(".answer").forEach(function (a) {
        var ok = (!flagged.checked || a.getAttribute("data-flagged") === "1") &&
                 (parseInt(a.getAttribute("data-sev"), 10) || 0) >= minSev;
        a.classList.toggle("dim", !ok);
        if (ok) { any = true; }
      });
      var visible = any && (!topic.value || sec.getAttribute("data-topic") === topic.value);
      sec.hidden = !visible;
      if (visible) { shown += 1; }
    });
    count.textContent = shown + " of " + items.length + " questions shown";
  }
  function openAll(open) {
    items.forEach(function (sec) { if (!sec.hidden) { sec.querySelector("details").open = open; } });
  }
  [flagged, topic, sev].forEach(function (el) { el.addEventListener("change", apply); });
  byId("f-supported").addEventListener("change", function (ev) {
    document.body.classList.toggle("show-supported", ev.target.checked);
  });
  byId("f-open").addEventListener("click", function () { openAll(true); });
  byId("f-close").addEventListener("click", function () { openAll(false); });
  document.body.classList.add("js");
  apply();
})();
"""


def csp_hash(source: str) -> str:
    """The CSP source expression that allows exactly this inline script or stylesheet."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(script: str = JS, style: str = CSS) -> str:
    """Nothing from the network, images only as data: URIs, only our own script and stylesheet."""
    return (f"default-src 'none'; script-src {csp_hash(script)}; style-src {csp_hash(style)}; "
            "img-src data:; base-uri 'none'; form-action 'none'")
