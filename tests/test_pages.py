"""Manifest, service worker, security headers, error pages, the language switch, Help and About."""

from __future__ import annotations

import json

import httpx

from pwa import pages
from pwa.models import Account
from tests.conftest import Client
from tests.factories import PASSWORD, make_family


async def test_manifest_is_valid_json_with_what_an_install_needs(client):
    response = await client.get("/manifest.webmanifest")
    assert response.headers["content-type"].startswith("application/manifest+json")
    data = json.loads(response.text)
    assert data["name"] and data["short_name"] and data["lang"] == "en"
    assert data["start_url"] == "/" and data["display"] == "standalone"
    assert data["theme_color"].startswith("#")
    sizes = {(icon["sizes"], icon["purpose"]) for icon in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in data["icons"]:
        image = await client.get(icon["src"])
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"


async def test_manifest_speaks_the_page_language(app):
    async with Client(app, locale="zh-CN,zh;q=0.9") as chinese:
        data = (await chinese.get("/manifest.webmanifest")).json()
    assert data["lang"] == "zh-Hans"


async def test_service_worker_is_served_at_root_scope_without_caching(client):
    response = await client.get("/sw.js")
    assert response.headers["service-worker-allowed"] == "/"
    assert response.headers["cache-control"] == "no-cache"
    assert "javascript" in response.headers["content-type"]
    config = json.loads(response.text.split("const CONFIG = ", 1)[1].split(";\n", 1)[0])
    assert config["version"] == pages.shell_version()
    assert set(config["offline"]) == {"zh-Hans", "en"}
    for url in config["precache"]:
        assert (await client.get(url)).status_code == 200, url


async def test_offline_pages_exist_in_both_languages(client):
    english = await client.get("/offline/en")
    chinese = await client.get("/offline/zh-Hans")
    assert '<html lang="en"' in english.text and "No internet" in english.text
    assert '<html lang="zh-Hans"' in chinese.text and "No internet" not in chinese.text
    assert (await client.get("/offline/fr")).status_code == 404


async def test_every_page_has_strict_security_headers(client):
    response = await client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


async def test_pictures_and_styles_carry_only_the_headers_they_need(client):
    """A picture is not a page: it is sent without the page headers (lighter for the phone),
    and an SVG opened on its own may run nothing."""
    css = await client.get("/static/css/app.css")
    assert css.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in css.headers and "x-frame-options" not in css.headers
    svg = await client.get("/openmoji/1F34E.svg")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.headers["content-security-policy"] == "default-src 'none'"
    script = await client.get("/sw.js")
    assert "worker-src 'self'" in script.headers["content-security-policy"]
    assert script.headers["x-frame-options"] == "DENY"
    # A page's script runs under the page's policy: only nosniff and the referrer rule.
    module = await client.get("/static/js/phone.js")
    assert "javascript" in module.headers["content-type"]
    assert module.headers["x-content-type-options"] == "nosniff"
    assert module.headers["referrer-policy"] == "no-referrer"
    for page_only in ("content-security-policy", "x-frame-options", "permissions-policy"):
        assert page_only not in module.headers


async def test_pages_have_no_inline_scripts_or_styles(client):
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    for path in ("/login", "/signup", "/home", f"/people/{family.person.id}/settings", "/help"):
        html = (await client.get(path)).text
        assert " style=" not in html and "<style" not in html, path
        scripts = html.count("<script")
        assert scripts == html.count('<script type="module" src=') + html.count(
            '<script type="application/json"'
        ), path


async def test_static_files_are_cached_for_a_year(client):
    html = (await client.get("/login")).text
    css = html.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    response = await client.get(css)
    assert "max-age=31536000" in response.headers["cache-control"]
    pictogram = await client.get("/openmoji/1F3E0.svg")
    assert pictogram.status_code == 200 and "immutable" in pictogram.headers["cache-control"]
    # A module imported by another module has no version in its URL: it is checked each time,
    # so a new release never runs beside an old copy.
    imported = await client.get("/static/js/phone.js")
    assert imported.status_code == 200 and imported.headers["cache-control"] == "no-cache"


async def test_not_found_is_translated_in_the_same_layout(app):
    async with Client(app, locale="en") as english:
        page = await english.get("/no-such-page")
    assert page.status_code == 404 and "Page not found" in page.text
    assert 'href="/help"' in page.text and "<h1>Page not found</h1>" in page.text
    async with Client(app, locale="zh-CN") as chinese:
        page = await chinese.get("/no-such-page")
    assert page.status_code == 404 and '<html lang="zh-Hans"' in page.text
    assert "Page not found" not in page.text


async def test_language_switch_follows_the_visitor(client):
    assert '<html lang="en"' in (await client.get("/login")).text
    response = await client.submit("/lang", {"locale": "zh_Hans", "next": "/signup"})
    assert response.status_code == 303 and response.headers["location"] == "/signup"
    assert '<html lang="zh-Hans"' in (await client.get("/signup")).text


async def test_language_switch_is_kept_on_the_account(client):
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    await client.submit("/lang", {"locale": "zh_Hans", "next": "/home"})
    assert (await Account.get(id=family.guardian.id)).locale == "zh_Hans"
    client.cookies.clear()
    await client.log_in(family.email, PASSWORD)
    assert '<html lang="zh-Hans"' in (await client.get("/home")).text


async def test_language_switch_refuses_unknown_languages(client):
    response = await client.submit("/lang", {"locale": "fr", "next": "/"})
    assert response.status_code == 400


async def test_redirect_after_log_in_stays_on_this_site(client):
    family = await make_family()
    response = await client.submit(
        "/login",
        {
            "email": family.email,
            "password": PASSWORD,
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/"


async def test_help_and_about_pages(client):
    help_page = await client.get("/help")
    assert "How to link the phone of the person" in help_page.text
    about = await client.get("/about")
    assert "OpenMoji" in about.text and "CC BY-SA 4.0" in about.text


async def test_account_page_saves_name_phone_and_language(client):
    family = await make_family()
    await client.log_in(family.email, PASSWORD)
    response = await client.submit(
        "/account",
        {
            "name": "Li Wang",
            "phone": "+86 138 0013 8000",
            "locale": "en",
        },
    )
    assert response.status_code == 303
    account = await Account.get(id=family.guardian.id)
    assert (account.name, account.phone) == ("Li Wang", "+86 138 0013 8000")
    bad = await client.submit("/account", {"name": "Li", "phone": "call me", "locale": "en"})
    assert bad.status_code == 400 and "digits only" in bad.text
    assert (await Account.get(id=family.guardian.id)).phone == "+86 138 0013 8000"


async def test_an_unexpected_error_shows_the_translated_500_page(app):
    from starlette.routing import Route

    async def broken(request):
        raise RuntimeError("a bug")

    app.router.routes.append(Route("/broken-for-test", broken))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        english = await http.get("/broken-for-test", headers={"Accept-Language": "en"})
        chinese = await http.get("/broken-for-test", headers={"Accept-Language": "zh-CN"})
    assert english.status_code == 500 and "Something went wrong" in english.text
    assert 'href="/help"' in english.text
    assert chinese.status_code == 500 and '<html lang="zh-Hans"' in chinese.text
    assert "Something went wrong" not in chinese.text
