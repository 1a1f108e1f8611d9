"""The HTML report in a real headless Chromium (Debian's), via Playwright: it loads with no console
errors, charts decode, filters work, and hostile answer text runs nothing."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from qaeval.reports import write_reports
from reportkit import EVIL_GEN, PAYLOADS, hostile_items, make_run, scored_rows

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium) to run browser tests",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(str(tmp_path_factory.mktemp("chromium-profile")), headless=True,
                                                    executable_path=CHROMIUM, args=ARGS)
        yield ctx
        ctx.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, items_by_id: dict, ctx: Any) -> Path:
    run = make_run(tmp_path_factory.mktemp("run"), items_by_id, ctx)
    write_reports(run, formats=["html"], items=hostile_items(items_by_id))
    return run / "report.html"


class Page:
    """An opened report with everything the page said (console, errors, requests) recorded."""

    def __init__(self, browser: Any, path: Path):
        self.page = browser.new_page()
        self.console: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri(), wait_until="load")

    def visible_items(self) -> list[str]:
        return self.page.eval_on_selector_all("section.item", "els => els.filter(e => !e.hidden).map(e => e.id)")


@pytest.fixture()
def page(browser: Any, report: Path) -> Iterator[Page]:
    p = Page(browser, report)
    yield p
    p.page.close()


def test_loads_offline_without_console_errors(page: Page, report: Path) -> None:
    assert page.errors == []
    assert [m for m in page.console if m.startswith(("error", "warning"))] == []
    assert [u for u in page.requests if not u.startswith(("file:", "data:"))] == []
    csp = page.page.get_attribute("meta[http-equiv='Content-Security-Policy']", "content")
    assert "default-src 'none'" in csp and "img-src data:" in csp
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]{44}'", csp)
    assert page.page.evaluate("document.body.classList.contains('js')"), "the report's own script did not run"


def test_charts_are_present_and_decoded(page: Page) -> None:
    imgs = page.page.eval_on_selector_all(
        "img.chart", "els => els.map(i => [i.complete, i.naturalWidth, i.naturalHeight, i.src.slice(0, 22)])")
    assert len(imgs) == 3
    for complete, w, h, src in imgs:
        assert complete and w > 100 and h > 100 and src == "data:image/png;base64,"


def test_filters_change_visible_questions(page: Page) -> None:
    p = page.page
    everything = ["item-aml-001", "item-breast-001", "item-lung-001", "item-cll-001"]
    assert page.visible_items() == everything
    assert p.text_content("#f-count") == "4 of 4 questions shown"
    p.check("#f-flagged")  # lung-001: every answer is clean
    assert page.visible_items() == ["item-aml-001", "item-breast-001", "item-cll-001"]
    assert p.get_attribute("#item-aml-001 .answer[data-generator='reference']", "class") == "answer dim"
    p.uncheck("#f-flagged")
    p.select_option("#f-topic", "breast")
    assert page.visible_items() == ["item-breast-001"]
    p.select_option("#f-topic", "")
    p.select_option("#f-sev", label="critical or worse")  # harmful advice is critical, a missing disclaimer medium
    assert page.visible_items() == ["item-aml-001", "item-cll-001"]
    assert p.text_content("#f-count") == "2 of 4 questions shown"
    p.select_option("#f-sev", "0")
    assert page.visible_items() == everything


def test_hostile_answer_runs_nothing_and_shows_as_text(page: Page) -> None:
    p = page.page
    p.click("#f-open")
    card = p.locator("#item-cll-001 .answer").filter(has_text="evil<i>gen</i>")
    text = card.inner_text()
    for payload in PAYLOADS:
        assert payload in text
    assert EVIL_GEN in text  # the generator name is text, not markup
    assert PAYLOADS[1] in p.inner_text("#item-cll-001 .q")  # so is the question
    assert p.evaluate("typeof window.__pwned") == "undefined"
    assert p.eval_on_selector_all("script", "els => els.length") == 1
    assert p.eval_on_selector_all("svg, iframe, [onerror], [onload], i", "els => els.length") == 0
    titles = p.eval_on_selector_all("#item-cll-001 mark.k-harm", "els => els.map(e => e.title)")
    assert any("unproven_alternative" in t and "Presents an unproven remedy" in t for t in titles)
    assert page.errors == [] and [m for m in page.console if m.startswith("error")] == []


def test_csp_blocks_a_script_that_gets_into_the_page(page: Page) -> None:
    """Defence in depth: even a script element that bypassed escaping is refused by the CSP."""
    p = page.page
    p.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.__pwned = 1';"
               " document.body.appendChild(s); }")
    p.wait_for_timeout(50)
    assert p.evaluate("typeof window.__pwned") == "undefined"
    assert any("Content Security Policy" in m for m in page.console)


def test_large_report_size_and_render_time(browser: Any, tmp_path: Path, items_by_id: dict, ctx: Any) -> None:
    """112 questions, 756 answers (the size of a full run) stay one reasonably small file that opens quickly."""
    base = scored_rows(items_by_id, ctx)
    rows = []
    for k in range(28):
        for r in base:
            rows.append(dict(r, item_id=f"{r['item_id']}-{k}", answer_id=f"{r['answer_id']}-{k}"))
    rows += [dict(r, generator=f"{c}-{r['generator']}", answer_id=f"{r['answer_id']}-{c}") for c in ("a", "b") for r in rows]
    run = make_run(tmp_path / "big", items_by_id, ctx, rows)
    t0 = time.perf_counter()
    write_reports(run, formats=["html"], items=hostile_items(items_by_id))
    build_s = time.perf_counter() - t0
    size = (run / "report.html").stat().st_size
    t0 = time.perf_counter()
    p = Page(browser, run / "report.html")
    load_s = time.perf_counter() - t0
    assert p.page.text_content("#f-count") == "112 of 112 questions shown"
    t0 = time.perf_counter()
    p.page.check("#f-flagged")
    filter_s = time.perf_counter() - t0
    assert p.errors == []
    p.page.close()
    print(f"big report: {len(rows)} answers, {size / 1e6:.1f} MB, build {build_s:.1f}s, load {load_s:.1f}s, filter {filter_s:.2f}s")
    # generous bounds (CI machines are shared): they catch a blow-up, not a few per cent
    assert size < 6_000_000 and build_s < 60 and load_s < 30 and filter_s < 10
