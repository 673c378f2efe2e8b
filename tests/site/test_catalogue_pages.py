"""The public catalogue: what it shows, to whom, in which language, and what it never shows."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import httpx
from PIL import Image
from sqlmodel import select

from bot.app import Core
from handlers.i18n import all_texts
from storage.db import transaction
from storage.models import Community, Member
from tests.site.conftest import BASE
from tests.site.market import HIDDEN_NUMBERS, OTHER_PHONE, RT_PHONE, SITI_PHONE, XSS_TITLE, Market

TEMPLATES = Path(__file__).resolve().parents[2] / "bot/site/templates"


class Tags(HTMLParser):
    """Every start tag with its attributes, and the page's visible text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, **wanted: str) -> list[dict[str, str]]:
        return [
            attrs
            for name, attrs in self.tags
            if name == tag and all(attrs.get(k.replace("_", "-")) == v for k, v in wanted.items())
        ]

    def meta(self, key: str) -> str:
        found = [
            a["content"]
            for n, a in self.tags
            if n == "meta" and key in (a.get("property"), a.get("name"))
        ]
        assert len(found) == 1, (key, found)
        return found[0]


def contact_links(html: str) -> list[str]:
    """The contact buttons' links (not the join buttons at the foot)."""
    return [
        attrs["href"]
        for name, attrs in Tags(html).tags
        if name == "a" and "contact" in attrs.get("class", "").split()
    ]


async def test_the_catalogue_shows_active_products_with_prices_sellers_and_counts(
    web: httpx.AsyncClient, market: Market
) -> None:
    page = await web.get("/k/kba13")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    for shown in (
        "KBA 13 Ulu",
        "Palembang",
        "Keripik pisang",
        "Rp15.000",
        "Rp350.000",
        "Dapur Siti · Kel. 13 Ulu",
        "Kue Dewi",
        "Batik Budi",
        "👍 3 rekomendasi",
        "Kuliner (3)",
        "Fashion (1)",
        "Semua (5)",
        "5 produk aktif",
    ):
        assert shown in html, shown
    # hidden products, other communities, members who sell nothing: absent
    for absent in ("Sambal rahasia", "Tempe mendoan", "Toko Tono", "Rahasia Rina", "RW 05"):
        assert absent not in html, absent
    images = Tags(html).find("img", loading="lazy")
    assert images and all(img["width"] == "320" and img["height"] == "240" for img in images)
    assert page.headers["cache-control"].startswith("public")


async def test_the_code_is_read_in_any_case(web: httpx.AsyncClient, market: Market) -> None:
    assert (await web.get("/k/KbA13")).status_code == 200


async def test_a_product_name_with_html_stays_text(web: httpx.AsyncClient, market: Market) -> None:
    for path in ("/k/kba13", f"/k/kba13/p/{market.products['xss']}", "/k/kba13?q=script"):
        html = (await web.get(path)).text
        assert XSS_TITLE not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
        assert not any(name == "script" for name, _ in Tags(html).tags), path
    query = await web.get("/k/kba13", params={"q": '"><script>alert(3)</script>'})
    assert "<script>alert(3)" not in query.text
    assert "&lt;script&gt;alert(3)" in query.text


async def test_search_is_the_same_as_cari_and_forgives_a_typo(
    web: httpx.AsyncClient, market: Market
) -> None:
    exact = Tags((await web.get("/k/kba13", params={"q": "keripik"})).text)
    assert "Keripik pisang" in exact.text and "Batik tulis songket" not in exact.text
    typo = (await web.get("/k/kba13", params={"q": "kripik"})).text
    assert "Keripik pisang" in typo
    none = (await web.get("/k/kba13", params={"q": "sepatu"})).text
    assert "Belum ada produk yang cocok dengan “sepatu”" in none
    # the hidden product is no search result either
    assert "Sambal" not in (await web.get("/k/kba13", params={"q": "sambal"})).text


async def test_a_category_and_pages(core: Core, web: httpx.AsyncClient, market: Market) -> None:
    fashion = (await web.get("/k/kba13", params={"kategori": "fashion"})).text
    assert "Batik tulis songket" in fashion and "Keripik pisang" not in fashion
    unknown = await web.get("/k/kba13", params={"kategori": "<b>", "hal": "x"})
    assert unknown.status_code == 200 and "Keripik pisang" in unknown.text


async def test_contact_buttons_follow_the_sellers_choice_and_never_a_hidden_number(
    web: httpx.AsyncClient, market: Market
) -> None:
    html = (await web.get("/k/kba13")).text
    for number in HIDDEN_NUMBERS:
        assert number not in html and number.lstrip("+") not in html
    assert OTHER_PHONE.lstrip("+") not in html
    siti = (await web.get(f"/k/kba13/p/{market.products['keripik']}")).text
    [link] = contact_links(siti)
    url = urlparse(link)
    assert (url.netloc, url.path) == ("wa.me", f"/{SITI_PHONE.lstrip('+')}")
    text = parse_qs(url.query)["text"][0]
    assert "Keripik pisang" in text and "Rp15.000" in text and "KBA 13 Ulu" in text
    dewi = (await web.get(f"/k/kba13/p/{market.products['kue']}")).text
    assert contact_links(dewi) == ["https://t.me/dewikue"]
    budi = (await web.get(f"/k/kba13/p/{market.products['batik']}")).text
    [through] = contact_links(budi)
    assert through.startswith(f"https://wa.me/{RT_PHONE.lstrip('+')}?text=")
    assert "Batik tulis songket" in unquote(through) and "Hubungi lewat koordinator" in budi
    for number in HIDDEN_NUMBERS:
        assert number.lstrip("+") not in budi + dewi


async def test_without_a_reachable_coordinator_the_button_is_the_join_link(
    core: Core, web: httpx.AsyncClient, market: Market
) -> None:
    with transaction(core.open_session) as session:
        coordinator = session.exec(select(Member).where(Member.display_name == "Pak RT")).one()
        coordinator.hide_phone = True
    budi = (await web.get(f"/k/kba13/p/{market.products['batik']}")).text
    assert contact_links(budi) == ["https://t.me/GuyubBot?start=KBA13"]
    assert RT_PHONE.lstrip("+") not in budi


async def test_the_product_page_has_open_graph_tags(web: httpx.AsyncClient, market: Market) -> None:
    product_id = market.products["keripik"]
    tags = Tags((await web.get(f"/k/kba13/p/{product_id}")).text)
    assert tags.meta("og:title") == "Keripik pisang · Rp15.000"
    assert "Rp15.000" in tags.meta("og:description")
    assert tags.meta("og:url") == f"{BASE}/k/kba13/p/{product_id}"
    image = tags.meta("og:image")
    assert image.startswith(f"{BASE}/thumb/640/")
    assert tags.meta("twitter:card") == "summary_large_image"
    photo = await web.get(urlparse(image).path)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"


async def test_thumbnails_are_small_cached_and_kept_on_disk(
    core: Core, web: httpx.AsyncClient, market: Market
) -> None:
    html = (await web.get("/k/kba13")).text
    src = Tags(html).find("img", loading="lazy")[0]["src"]
    first = await web.get(src)
    assert first.status_code == 200
    assert "max-age" in first.headers["cache-control"] and first.headers["etag"]
    with Image.open(__import__("io").BytesIO(first.content)) as image:
        assert image.size == (320, 240)
    assert len(first.content) < 30_000
    again = await web.get(src, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert list((core.options.media_dir / "thumbs" / "320").glob("*.jpg"))
    assert (await web.get(src.replace("/320/", "/100/"))).status_code == 404
    assert (await web.get("/thumb/320/not-a-photo.jpg")).status_code == 404


async def test_scoping_unknown_private_and_foreign_products_are_404(
    web: httpx.AsyncClient, market: Market
) -> None:
    for path in (
        "/k/nope",
        "/k/rw05",  # private
        f"/k/rw05/p/{market.other_product}",
        f"/k/kba13/p/{market.other_product}",  # another community's product under this code
        f"/k/kba13/p/{market.hidden_product}",  # hidden by a coordinator
        "/k/kba13/p/999999",
        "/k/kba13/p/abc",
        "/poster/rw05.pdf",
        "/poster/rw05.png",
    ):
        page = await web.get(path)
        assert page.status_code == 404, path
    gone = await web.get("/k/rw05")
    assert "Halaman tidak ditemukan" in gone.text and "Page not found" in gone.text
    assert "Tempe mendoan" not in gone.text


async def test_turning_the_catalogue_off_closes_it(
    core: Core, web: httpx.AsyncClient, market: Market
) -> None:
    with transaction(core.open_session) as session:
        community = session.get(Community, market.community.id)
        assert community is not None
        community.public_catalogue = False
    assert (await web.get("/k/kba13")).status_code == 404
    assert (await web.get(f"/k/kba13/p/{market.products['keripik']}")).status_code == 404


async def test_english_by_accept_language_or_by_the_switch(
    web: httpx.AsyncClient, market: Market
) -> None:
    default = await web.get("/k/kba13")
    assert '<html lang="id">' in default.text and "Cari produk" in default.text
    browser = await web.get("/k/kba13", headers={"Accept-Language": "en-GB,en;q=0.9,id;q=0.5"})
    assert '<html lang="en">' in browser.text and "Search products" in browser.text
    assert browser.headers["vary"] == "Accept-Language"
    prefers_id = await web.get("/k/kba13", headers={"Accept-Language": "id-ID,id;q=0.9,en;q=0.8"})
    assert '<html lang="id">' in prefers_id.text
    switch = Tags(default.text).find("a", hreflang="en")[0]["href"]
    chosen = await web.get(switch)
    assert "Search products" in chosen.text and "👍 3 recommendations" in chosen.text
    # a chosen language stays on the links
    keripik = f"/k/kba13/p/{market.products['keripik']}"
    product_link = next(
        a["href"] for n, a in Tags(chosen.text).tags if n == "a" and keripik in a.get("href", "")
    )
    assert product_link == f"{keripik}?lang=en"
    english_product = await web.get(product_link, headers={"Accept-Language": "id"})
    assert "Back to the catalogue" in english_product.text
    # the seller still gets the message in their own language
    assert "saya%20lihat" in english_product.text


async def test_the_stylesheet_is_one_small_cached_file(
    web: httpx.AsyncClient, market: Market
) -> None:
    css = await web.get("/static/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert len(css.content) < 8_000 and "immutable" in css.headers["cache-control"]
    assert (
        await web.get("/static/style.css", headers={"If-None-Match": css.headers["etag"]})
    ).status_code == 304


def test_every_text_key_in_the_templates_exists_in_both_languages() -> None:
    texts = all_texts()
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\b(?:t|other)\(\s*['"]([a-z_.]+)['"]""", template.read_text()))
    assert len(used) > 30
    missing = [key for key in used if set(texts.get(key, {})) != {"id", "en"}]
    assert not missing, missing
