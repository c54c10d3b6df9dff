"""The hosted survey as respondents meet it: two app processes sharing one PostgreSQL,
behind the launcher's nginx with a self-signed certificate (``deploy/launch.py``)."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy.launch import Deployment
from instruments.store import ResponseStore
from instruments.store.localpg import PostgresServer, PostgresUnavailable, start_server
from tests.ui.conftest import PASSWORD, STUDY
from tests.ui.test_browser import CHROME_ARGS, WAIT_SEC, _browser_paths


def _missing(what: str) -> None:
    message = f"The deployment tests need {what}; run `make test`, which installs it."
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    try:
        server = start_server()
    except PostgresUnavailable as exc:
        _missing(f"PostgreSQL ({exc})")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="module")
def hosted(pg: PostgresServer) -> Iterator[tuple[Deployment, ResponseStore]]:
    """The deployment, running, with study ``uitest``; yields it and a store on its database."""
    from instruments.fieldwork.auth import set_password
    from instruments.fieldwork.invitations import create_study

    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        _missing("Debian's nginx")
    url = pg.create_database(f"deploy{os.getpid()}")
    store = ResponseStore(url)
    create_study(store, STUDY)
    set_password(store, STUDY, PASSWORD)
    root = Path(tempfile.mkdtemp(prefix="alliance-deploy-"))
    deployment = Deployment(root=root, app_ports=[free_port(), free_port()],
                            https_port=free_port(), db_url=url)  # fmt: skip
    deployment.start()
    try:
        yield deployment, store
    finally:
        deployment.stop()
        store.dispose()
        shutil.rmtree(root, ignore_errors=True)


def tls_context(deployment: Deployment) -> ssl.SSLContext:
    """Trust exactly the deployment's self-signed certificate (for urllib)."""
    context = ssl.create_default_context(cafile=str(deployment.certificate))
    context.check_hostname = False
    return context


def spki_hash(certificate: Path) -> str:
    """Base64 sha256 of the certificate's public key, as Chromium's allow-list wants it."""
    pem = subprocess.run(["openssl", "x509", "-in", str(certificate), "-pubkey", "-noout"],
                         capture_output=True, check=True, timeout=30).stdout  # fmt: skip
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pem,
                         capture_output=True, check=True, timeout=30).stdout  # fmt: skip
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@pytest.fixture()
def proxy_driver(hosted) -> Iterator[Any]:
    """A headless Chromium that trusts the deployment's certificate and no other bad one."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    deployment, _ = hosted
    chromium, chromedriver = _browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1280,900")
    # Only this certificate's key is accepted despite its unknown issuer.
    options.add_argument(f"--ignore-certificate-errors-spki-list={spki_hash(deployment.certificate)}")
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(WAIT_SEC)
    try:
        yield driver
    finally:
        try:
            driver.quit()
        finally:
            shutil.rmtree(profile, ignore_errors=True)
