"""The HTML report in a real browser: headless Chromium from Debian's `chromium` package.

A briefing with script payloads in every article text, title, outlet, file name and
address is opened from a file, offline. Clicking a citation must open its article with
exactly `text[start:end]` highlighted and in view; none of the payloads may run; the page's
own script must run under its Content-Security-Policy, which must still refuse any other.

Skipped when chromium and chromium-driver are not installed (`apt-get install chromium
chromium-driver`), unless SUMMARIZER_REQUIRE_BROWSER=1 (CI sets it), which fails instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from summarizer import Briefing, render_html
from tests.test_markdown_safety import _briefing as payload_briefing

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

# Each would set the flag if it ran; the emoji makes UTF-16 and code-point offsets differ.
PWN = (
    "\U0001f600 <script>window.__pwned = 1</script>"
    ' <img src=x onerror="window.__pwned = 1">'
    ' "><svg onload="window.__pwned = 1">'
    " </script><script>window.__pwned = 1</script>"
    ' <iframe srcdoc="<script>parent.__pwned = 1</script>"></iframe>'
    " <script>alert(1)</script>"
)

pytestmark = [
    pytest.mark.browser,
    # Selenium drives chromedriver over loopback HTTP; nothing else is reached.
    pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$", r"::1$", r"localhost$"]),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        reason = f"needs {CHROMIUM} and {CHROMEDRIVER}: apt-get install chromium chromium-driver"
        if os.environ.get("SUMMARIZER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"SUMMARIZER_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        # Root in a container has no user namespace for the sandbox.
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1200,900",
    ):
        options.add_argument(argument)
    # An alert a payload raised stays open to be found, rather than being dismissed.
    options.unhandled_prompt_behavior = "ignore"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def briefing() -> Briefing:
    return payload_briefing(PWN, address=f"javascript:window.__pwned=1;{PWN}")


def _open(browser: WebDriver, briefing: Briefing, folder: Path) -> None:
    page = folder / "report.html"
    page.write_text(render_html(briefing), encoding="utf-8")
    browser.get(page.as_uri())


def _assert_nothing_ran(browser: WebDriver) -> None:
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert  # noqa: B018 (the property raises when there is no alert)
    assert browser.execute_script("return typeof window.__pwned") == "undefined"


def test_a_citation_opens_its_article_with_exactly_its_quote_highlighted(
    browser: WebDriver, briefing: Briefing, tmp_path: Path
) -> None:
    _open(browser, briefing, tmp_path)
    screenshot = tmp_path / "report.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert screenshot.stat().st_size > 10_000

    # The figure claim of source 1: its sentence comes after the emoji in the text.
    [figure] = [c for c in briefing.claims if c.quantity and c.citations[0].source == 1]
    citation = figure.citations[0]
    source = next(s for s in briefing.sources if s.number == 1)
    assert source.text is not None and citation.start is not None and citation.end is not None
    selector = f'a.cite[data-source="1"][data-start="{citation.start}"][data-end="{citation.end}"]'
    browser.find_elements(By.CSS_SELECTOR, selector)[0].click()

    mark = browser.find_element(By.CSS_SELECTOR, ".reader[open] mark#highlight")
    assert mark.get_property("textContent") == source.text[citation.start : citation.end]
    assert mark.get_property("textContent") == citation.quote
    reader_text = browser.find_element(By.CLASS_NAME, "reader-text").get_property("textContent")
    assert reader_text == source.text
    assert mark.is_displayed()
    in_view = browser.execute_script(
        "const box = arguments[0].getBoundingClientRect();"
        "return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight;",
        mark,
    )
    assert in_view
    heading = browser.find_element(By.CLASS_NAME, "reader-heading").text
    assert heading == f"[1] {source.outlet} — {source.title}"
    # The address is javascript:, so the panel offers no link to it.
    assert not browser.find_element(By.CLASS_NAME, "reader-link").is_displayed()

    browser.find_element(By.CLASS_NAME, "reader-close").click()
    assert browser.execute_script("return document.querySelector('.reader').open") is False
    _assert_nothing_ran(browser)
    # Nothing was fetched: no stylesheet, font, image or script from anywhere.
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    console = browser.get_log("browser")
    assert not [entry for entry in console if entry["level"] == "SEVERE"], console
    assert not [e for e in console if "Content Security Policy" in e["message"]], console


def test_the_policy_refuses_any_other_script(
    browser: WebDriver, briefing: Briefing, tmp_path: Path
) -> None:
    _open(browser, briefing, tmp_path)
    browser.get_log("browser")  # what the page's own loading logged; checked above

    browser.execute_script(
        "const probe = document.createElement('script');"
        "probe.textContent = 'window.__pwned = 1';"
        "document.body.append(probe);"
    )

    _assert_nothing_ran(browser)
    refused = [e for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    assert refused, "an inline script the policy does not name must be refused"
