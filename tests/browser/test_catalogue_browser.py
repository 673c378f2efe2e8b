"""The public catalogue in a real Chromium on a phone-sized screen, against `guyub run`:
open it, search (with a typo), open a product, read its Open Graph tags and contact link,
switch to English; axe-core finds nothing serious on any page. Screenshots go to
tests/artifacts/."""

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.browser.conftest import LiveGuyub, screenshot, serious_violations
from tests.site.market import HIDDEN_NUMBERS, SITI_PHONE


def _no_hidden_number(page: Any) -> None:
    html = page.content()
    for number in HIDDEN_NUMBERS:
        assert number.lstrip("+") not in html


def test_catalogue_search_product_and_english(
    phone: Any, live: LiveGuyub, axe_script: Path
) -> None:
    page = phone
    page.goto(f"{live.base_url}/k/kba13")
    assert page.title() == "Katalog KBA 13 Ulu"
    assert page.locator("h1").inner_text() == "KBA 13 Ulu"
    assert page.locator("li.card").count() == 5
    # the photos load (thumbnails from the live server), lazily and with their size given
    first = page.locator("li.card img").first
    first.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=first.element_handle()
    )
    assert first.get_attribute("loading") == "lazy" and first.get_attribute("width") == "320"
    # nothing wider than the phone: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _no_hidden_number(page)
    screenshot(page, "catalogue")
    assert serious_violations(page, axe_script) == []

    page.get_by_label("Cari produk").fill("kripik")  # a typo of "keripik"
    page.get_by_role("button", name="Cari").click()
    page.wait_for_url("**/k/kba13?q=kripik")
    assert page.locator("h2").first.inner_text() == "Hasil pencarian “kripik”"
    titles = page.locator("li.card h3").all_inner_texts()
    assert titles == ["Keripik pisang"]
    screenshot(page, "search")
    assert serious_violations(page, axe_script) == []

    page.get_by_role("link", name="Keripik pisang").click()
    page.wait_for_url("**/k/kba13/p/*")
    product_url = page.url

    def meta(key: str) -> str:
        found = page.locator(f'meta[property="{key}"], meta[name="{key}"]')
        assert found.count() == 1, key
        return str(found.get_attribute("content"))

    assert meta("og:title") == "Keripik pisang · Rp15.000"
    assert "Rp15.000" in meta("og:description")
    assert meta("og:url") == product_url
    image = meta("og:image")
    assert image.startswith(f"{live.base_url}/thumb/640/")
    answer = page.request.get(image)
    assert answer.ok and answer.headers["content-type"] == "image/jpeg"
    assert meta("twitter:card") == "summary_large_image"
    contact = page.get_by_role("link", name="Pesan lewat WhatsApp")
    link = urlparse(str(contact.get_attribute("href")))
    assert link.netloc == "wa.me" and link.path == f"/{SITI_PHONE.lstrip('+')}"
    message = parse_qs(link.query)["text"][0]
    assert message.startswith("Halo Dapur Siti") and "Keripik pisang (Rp15.000)" in message
    _no_hidden_number(page)
    screenshot(page, "product")
    assert serious_violations(page, axe_script) == []

    # a seller who hides their number: the coordinator, never the number
    page.goto(f"{live.base_url}/k/kba13/p/{live.market.products['batik']}")
    through = page.get_by_role("link", name="Hubungi lewat koordinator")
    assert "wa.me/6281234500009" in str(through.get_attribute("href"))
    _no_hidden_number(page)

    page.goto(f"{live.base_url}/k/kba13")
    page.get_by_role("link", name="Read this page in English").click()
    page.wait_for_url("**lang=en")
    assert page.get_by_label("Search products").is_visible()
    assert "5 active products" in page.locator("header").inner_text()
    page.get_by_role("link", name="Batik tulis songket").click()
    assert page.get_by_role("link", name="← Back to the catalogue").is_visible()
    screenshot(page, "product-en")
    assert serious_violations(page, axe_script) == []


def test_english_from_the_browser_language_and_the_404_page(
    browser: Any, live: LiveGuyub, axe_script: Path
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"{live.base_url}/k/kba13")
        assert page.title() == "KBA 13 Ulu catalogue"
        screenshot(page, "catalogue-en")
        answer = page.goto(f"{live.base_url}/k/rw05")  # private
        assert answer is not None and answer.status == 404
        assert page.locator("h1").inner_text() == "Page not found"
        assert "Halaman tidak ditemukan" in page.content()
        screenshot(page, "not-found")
        assert serious_violations(page, axe_script) == []
    finally:
        context.close()
