"""A respondent completes the survey through nginx over HTTPS while the app process that
serves them is restarted; every answer is stored exactly once in the shared PostgreSQL.

The deployment is the one ``deploy/launch.py`` runs (two app processes, sticky sessions
on a route cookie, websocket upgrade, a self-signed certificate that only this test's
Chromium is told to accept).  Nothing here sleeps: every step waits for a condition.
"""

from __future__ import annotations

import re
import urllib.request
import uuid
from typing import Any

import pytest

from deploy.launch import Deployment, render_site
from instruments.ui.fields import page_fields
from instruments.ui.respondent import widget_key
from tests.deploy.conftest import tls_context
from tests.ui.conftest import PASSWORD, STUDY
from tests.ui.survey_bot import plan_answers, plan_so_far
from tests.ui.test_browser import (
    WAIT_SEC,
    _type,
    answer,
    key_css,
    next_step,
    press,
    press_past_soft_prompt,
    shows_text,
    wait_for,
)

LINE = re.compile(r'"(?P<method>\S+) (?P<uri>\S+)" (?P<status>\d+) \d+ '
                  r"upstream=(?P<upstream>\S+(?:, \S+)*) route=(?P<route>\S+)")


def log_entries(deployment: Deployment) -> list[dict[str, str]]:
    """The proxy's access log, parsed (method, uri, status, upstream, route)."""
    if not deployment.access_log.exists():
        return []
    text = deployment.access_log.read_text(errors="replace")
    return [m.groupdict() for m in map(LINE.search, text.splitlines()) if m]


def route_of(driver: Any) -> str:
    cookie = driver.get_cookie("alliance_route")
    assert cookie is not None, "nginx set no route cookie"
    assert cookie["secure"] and cookie["httpOnly"]
    return cookie["value"]


def app_serving(deployment: Deployment, route: str) -> int:
    """Index of the app process that answered this browser's last request."""
    served = [e["upstream"].split(", ")[-1] for e in log_entries(deployment)
              if e["route"] == route and e["status"] == "200"]  # fmt: skip
    assert served, f"no request of route {route} in the access log"
    port = int(served[-1].rsplit(":", 1)[1])
    return deployment.app_ports.index(port)


def wait_until(condition: Any, what: str, timeout: float = WAIT_SEC) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(None, timeout, poll_frequency=0.2).until(lambda _: condition(), what)


def app_state(driver: Any) -> tuple[str | None, str | None]:
    """Streamlit's own connection and script state, as its frontend marks them."""
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stApp"]')
    if not found:
        return None, None
    return (found[0].get_attribute("data-test-connection-state"),
            found[0].get_attribute("data-test-script-state"))  # fmt: skip


def app_idle(driver: Any) -> bool:
    """Connected over the websocket and no script run going on or requested."""
    return app_state(driver) == ("CONNECTED", "notRunning")


def test_rendered_site_has_tls_websocket_and_sticky_routing(tmp_path) -> None:  # noqa: ANN001
    site = render_site([8501, 8502], https_port=443, http_port=80, certificate=tmp_path / "c.pem",
                       certificate_key=tmp_path / "c.key", access_log="/var/log/a.log",
                       server_name="survey.example.org")  # fmt: skip
    assert "server 127.0.0.1:8501 max_fails=1" in site and "server 127.0.0.1:8502" in site
    assert "hash $alliance_route consistent;" in site
    assert "listen 443 ssl;" in site and "ssl_certificate     " + str(tmp_path / "c.pem") in site
    assert "location /_stcore/stream" in site and "proxy_set_header Upgrade $http_upgrade;" in site
    assert "return 301 https://$host$request_uri;" in site  # keeps ?t= of invitation links
    assert "{{" not in site
    without = render_site([8501], https_port=8443, certificate=tmp_path / "c.pem",
                          certificate_key=tmp_path / "c.key", access_log="a.log")  # fmt: skip
    assert "listen 80" not in without and "return 301" not in without


def test_health_command_through_the_deployment(hosted, capsys) -> None:  # noqa: ANN001
    from analysis.cli import main as cli

    deployment, store = hosted
    apps = [f"http://127.0.0.1:{p}" for p in deployment.app_ports]
    proxy = f"https://localhost:{deployment.https_port}"
    code = cli(["health", "--db", store.url, "--app", apps[0], "--app", apps[1],
                "--app", proxy, "--cafile", str(deployment.certificate)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("ok   ") == 4 and "postgresql+psycopg://postgres@127.0.0.1" in out
    # Without the certificate the proxy's self-signed certificate is refused.
    assert cli(["health", "--no-store", "--app", proxy]) == 1
    assert "CERTIFICATE_VERIFY_FAILED" in capsys.readouterr().out


def test_survey_through_the_proxy_across_an_app_restart(hosted, proxy_driver) -> None:
    from instruments.fieldwork.invitations import create_invitations

    deployment, store = hosted
    driver = proxy_driver
    inv = create_invitations(store, STUDY, 1, partner_name="Acme Robotics")[0]
    link = inv.link(f"https://localhost:{deployment.https_port}")
    seed = store.start(inv.token).seed
    plan = plan_answers(store, seed=seed, rng_seed=19)
    pages = [p.id for p in store.pages if p.id in plan]
    # the first pages are sent through the store (clicking through all of them is the
    # end-to-end test's job); the browser answers the last six, three before the restart
    # and three after it, each through the proxy
    first = len(pages) - 6
    for page in pages[:first]:
        store.submit_page(inv.token, page, plan[page], submission_key=uuid.uuid4().hex)
    driver.get(link)
    opening = page_fields(store, pages[first], seed=seed, lang="en", partner="Acme Robotics",
                          answers=plan_so_far(plan, pages[first]))  # fmt: skip
    wait_for(driver, key_css(widget_key(pages[first], opening[0].id)))
    assert driver.current_url.startswith("https://")
    restart_after = first + 3
    route = route_of(driver)
    restarted: tuple[int, int, int] | None = None  # (app index, old pid, new pid)
    for k, page in enumerate(pages):
        if k < first:
            continue
        views = page_fields(store, page, seed=seed, lang="en", partner="Acme Robotics",
                            answers=plan_so_far(plan, page))  # fmt: skip
        wait_for(driver, key_css(widget_key(page, views[0].id)))
        answer(driver, page, views, plan[page])
        label, arrived = next_step(store, plan, pages, k, seed)
        press_past_soft_prompt(driver, label, arrived)
        if k + 1 == restart_after:
            # Restart the process this browser is on, between two pages: the page on
            # screen came from it, its websocket is open to it.
            index = app_serving(deployment, route)
            old_pid = deployment.apps[index].pid
            deployment.restart_app(index)
            restarted = (index, old_pid, deployment.apps[index].pid)
            # No reload: the open page reconnects to a live process by itself, and the
            # answers clicked on it next are kept and sent with "Next".
            wait_until(lambda: app_idle(driver), "the page did not reconnect")
    wait_for(driver, "body")
    wait_until(lambda: shows_text("Thank you!")(driver), "the survey did not finish")
    state = store.state(inv.token)
    assert state.completed

    # The restart happened, and nginx never passed the browser an error meanwhile: requests
    # to the stopped process went on to the other one.
    assert restarted is not None and restarted[1] != restarted[2]
    statuses = {e["status"] for e in log_entries(deployment) if e["route"] == route}
    assert statuses <= {"101", "200", "304"}, statuses

    # Every answer stored exactly once, with the value given, in the shared PostgreSQL.
    assert store.url.startswith("postgresql")
    log = store.answer_log(STUDY)
    mine = log[log["respondent_id"] == state.respondent_id]
    assert mine.groupby("page")["submission_key"].nunique().to_dict() == dict.fromkeys(pages, 1)
    given = {item: value for answers in plan.values() for item, value in answers.items()
             if value is not None}  # fmt: skip
    assert mine["item_id"].value_counts().to_dict() == dict.fromkeys(given, 1)
    stored = {r.item_id: (r.value_text if isinstance(r.value_text, str) and r.value_text
                          else r.value_num if r.value_num == r.value_num and r.value_num is not None
                          else r.value_int)
              for r in mine.itertuples()}  # fmt: skip
    for item, value in given.items():
        if isinstance(value, str):
            assert stored[item] == value, item
        else:
            assert float(stored[item]) == pytest.approx(float(value), abs=1e-9), item


def test_study_lead_login_survives_refresh_and_restart(hosted, proxy_driver) -> None:
    from selenium.webdriver.common.by import By

    from instruments.fieldwork.sessions import check_session

    deployment, store = hosted
    driver = proxy_driver
    base = f"https://localhost:{deployment.https_port}"
    driver.get(f"{base}/?admin=1")
    # The field's frame can be drawn before its input: type once the input is there.
    _type(driver, key_css("admin.login_password"), PASSWORD)
    press(driver, "Log in")
    wait_for(driver, "body")
    wait_until(lambda: shows_text("Completion and drop-off per page")(driver), "no dashboard")
    wait_until(lambda: "s=" in driver.current_url, "no session in the address")
    token = re.search(r"[?&]s=([^&]+)", driver.current_url).group(1)
    assert check_session(store, token) == STUDY

    driver.refresh()
    wait_until(lambda: shows_text("Completion and drop-off per page")(driver),
               "the refresh logged the study lead out")  # fmt: skip
    assert not driver.find_elements(By.CSS_SELECTOR, key_css("admin.login_password"))

    # The process holding the Streamlit session goes away: the login is in the store.
    deployment.restart_app(app_serving(deployment, route_of(driver)))
    driver.refresh()
    wait_until(lambda: shows_text("Completion and drop-off per page")(driver),
               "an app restart logged the study lead out")  # fmt: skip
    assert f"Study: {STUDY}" in driver.find_element(By.TAG_NAME, "body").text

    press(driver, "Log out")
    wait_for(driver, key_css("admin.login_password"))
    wait_until(lambda: "s=" not in driver.current_url, "the token stayed in the address")
    assert check_session(store, token) is None
    driver.get(f"{base}/?admin=1&s={token}")
    wait_until(lambda: shows_text("Your login has ended")(driver), "an old address logged in")
    wait_for(driver, key_css("admin.login_password"))


def test_plain_requests_get_security_headers(hosted) -> None:
    deployment, _ = hosted
    with urllib.request.urlopen(f"https://localhost:{deployment.https_port}/?t=x",
                                context=tls_context(deployment), timeout=10) as resp:  # fmt: skip
        headers = resp.headers
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "max-age=" in headers["Strict-Transport-Security"]
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("alliance_route=") and "Secure" in cookie and "HttpOnly" in cookie
    # No query string in the access log: invitation and session tokens are secrets.
    assert "?t=" not in deployment.access_log.read_text()


def test_the_front_end_reaches_phones_compressed(hosted) -> None:
    """Streamlit serves its 3 MB front end uncompressed; a phone on a slow connection
    waited 70 s for the consent page (browser walk 11).  The proxy compresses it."""
    import gzip

    deployment, _ = hosted
    base = f"https://localhost:{deployment.https_port}"
    ctx = tls_context(deployment)
    with urllib.request.urlopen(f"{base}/?t=x", context=ctx, timeout=10) as resp:
        page = resp.read().decode()
    scripts = re.findall(r'<script[^>]+src="([^"]+\.js)"', page)
    assert scripts, "the app's page names no script"
    req = urllib.request.Request(f"{base}/{scripts[0].lstrip('./')}",
                                 headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
        encoding, body = resp.headers.get("Content-Encoding"), resp.read()
        vary = resp.headers.get("Vary", "")
    assert encoding == "gzip" and "Accept-Encoding" in vary
    plain = gzip.decompress(body)
    assert len(body) < 0.5 * len(plain)  # JavaScript compresses to well under half
