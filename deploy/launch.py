"""Run the survey for real respondents: several app processes behind nginx with TLS.

Usage (from the repository root, with the package installed)::

    export ALLIANCE_SURVEY_DB=postgresql://survey@127.0.0.1/survey
    export ALLIANCE_SURVEY_COOKIE_SECRET=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')
    python deploy/launch.py --replicas 2 --https-port 8443 --server-name survey.example.org \\
        --certificate /etc/ssl/survey.pem --certificate-key /etc/ssl/survey.key

Without ``--certificate`` a self-signed certificate is made with ``openssl`` (for a
trial; browsers warn about it).  The launcher migrates the store once, starts the app
processes (``streamlit run streamlit_app.py`` on 127.0.0.1, one port each) and an nginx
of its own (``nginx -p RUN_DIR``) that terminates TLS and keeps each browser on one
process; it restarts a process that dies, restarts them one by one on ``SIGHUP`` (for a
new release) and stops everything on ``SIGTERM``/Ctrl-C.  ``--render-site FILE`` only
writes the nginx site file, for a server whose system nginx and systemd run the parts
(``deploy/systemd/``).

Secrets come from the environment only and are never written to the run directory or
shown on a command line: ``ALLIANCE_SURVEY_DB`` (the database URL, with its password),
``ALLIANCE_SURVEY_COOKIE_SECRET`` (shared by all processes, so that Streamlit's signed
cookies hold on every process), ``ALLIANCE_SURVEY_SECRET_KEY`` (contacts' tokens) and
SMTP passwords; each app process inherits them.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "streamlit_app.py"
SITE_TEMPLATE = Path(__file__).resolve().parent / "alliance-survey.nginx.conf"
#: The environment variable with the secret that signs Streamlit's cookies.
COOKIE_SECRET_ENV = "ALLIANCE_SURVEY_COOKIE_SECRET"
#: Where the public address of the survey (for invitation links) is given to the app.
BASE_URL_ENV = "ALLIANCE_SURVEY_BASE_URL"
#: Seconds to wait for a process to answer its health check after a start.
START_TIMEOUT_SEC = 90.0


class LaunchError(RuntimeError):
    """A part of the deployment could not be started; the message says which and why."""


def render_site(
    app_ports: list[int],
    *,
    https_port: int,
    certificate: Path,
    certificate_key: Path,
    access_log: Path | str,
    server_name: str = "localhost",
    http_port: int | None = None,
    app_host: str = "127.0.0.1",
) -> str:
    """The nginx site configuration for ``app_ports`` (``deploy/alliance-survey.nginx.conf``).

    Every ``{{PLACEHOLDER}}`` of the template must be filled; the plain-HTTP redirect
    server is left out when ``http_port`` is ``None``.
    """
    if not app_ports:
        raise LaunchError("At least one app process is needed.")
    text = SITE_TEMPLATE.read_text(encoding="utf-8")
    if http_port is None:
        start = text.index("# BEGIN http-redirect")
        end = text.index("# END http-redirect")
        text = text[:start] + text[text.index("\n", end) + 1:]
    servers = "\n".join(
        f"    server {app_host}:{port} max_fails=1 fail_timeout=10s;" for port in app_ports
    )
    values = {
        "UPSTREAM_SERVERS": servers,
        "HTTPS_PORT": str(https_port),
        "HTTPS_PORT_SUFFIX": "" if https_port == 443 else f":{https_port}",
        "HTTP_PORT": str(http_port),
        "SERVER_NAME": server_name,
        "CERTIFICATE": str(certificate),
        "CERTIFICATE_KEY": str(certificate_key),
        "ACCESS_LOG": str(access_log),
    }
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        left = text[text.index("{{"):text.index("}}", text.index("{{")) + 2]
        raise LaunchError(f"The nginx template has a placeholder the launcher does not fill: {left}.")
    return text


def self_signed_certificate(folder: Path, name: str = "localhost") -> tuple[Path, Path]:
    """Make a self-signed certificate for ``name`` (and 127.0.0.1) with ``openssl``.

    Returns the certificate and key paths (the key readable by its owner only).
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise LaunchError("`openssl` is needed to make a self-signed certificate (Debian: openssl).")
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "selfsigned.pem", folder / "selfsigned.key"
    san = f"DNS:{name},DNS:localhost,IP:127.0.0.1"
    done = subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30",
         "-subj", f"/CN={name}", "-addext", f"subjectAltName={san}",
         "-keyout", str(key), "-out", str(cert)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise LaunchError(f"openssl could not make a certificate: {done.stderr.strip()}")
    key.chmod(0o600)
    return cert, key


def nginx_main_config(root: Path, site: Path, *, worker_user: str | None) -> str:
    """A complete nginx.conf for an nginx of the launcher's own, with everything in ``root``."""
    temp = root / "nginx-temp"
    user = f"user {worker_user};\n" if worker_user else ""
    return (
        f"# Written by deploy/launch.py; the site itself is {site.name}.\n"
        f"{user}daemon off;\nworker_processes auto;\npid {root / 'nginx.pid'};\n"
        f"error_log {root / 'logs' / 'nginx-error.log'} warn;\n"
        "events { worker_connections 4096; }\n"
        "http {\n"
        "    default_type application/octet-stream;\n"
        "    server_tokens off;\n"
        f"    client_body_temp_path {temp / 'body'};\n"
        f"    proxy_temp_path {temp / 'proxy'};\n"
        f"    fastcgi_temp_path {temp / 'fastcgi'};\n"
        f"    uwsgi_temp_path {temp / 'uwsgi'};\n"
        f"    scgi_temp_path {temp / 'scgi'};\n"
        f"    include {site};\n"
        "}\n"
    )


def http_ok(url: str, *, timeout: float = 2.0, context: ssl.SSLContext | None = None) -> bool:
    """Whether ``url`` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as resp:  # noqa: S310
            return resp.status == 200
    except (OSError, urllib.error.URLError, ValueError):
        return False


@dataclass
class Deployment:
    """App processes and nginx in one run directory; start, restart and stop them.

    Parameters
    ----------
    root
        Run directory: nginx configuration, certificate (when self-signed), logs, pid.
    app_ports
        One 127.0.0.1 port per app process.
    https_port
        Where nginx serves the survey over TLS.
    db_url
        The database URL; default ``$ALLIANCE_SURVEY_DB`` (it is passed to the
        processes in their environment only).
    """

    root: Path
    app_ports: list[int]
    https_port: int
    db_url: str | None = None
    http_port: int | None = None
    server_name: str = "localhost"
    certificate: Path | None = None
    certificate_key: Path | None = None
    base_url: str | None = None
    python: str = sys.executable
    apps: dict[int, subprocess.Popen] = field(default_factory=dict)
    nginx: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The public address of the survey."""
        if self.base_url:
            return self.base_url.rstrip("/")
        port = "" if self.https_port == 443 else f":{self.https_port}"
        return f"https://{self.server_name}{port}"

    @property
    def access_log(self) -> Path:
        return self.root / "logs" / "access.log"

    def app_log(self, index: int) -> Path:
        return self.root / "logs" / f"app-{self.app_ports[index]}.log"

    def _env(self) -> dict[str, str]:
        from instruments.store import DB_ENV_VAR

        env = dict(os.environ)
        if self.db_url:
            env[DB_ENV_VAR] = self.db_url
        if not env.get(DB_ENV_VAR):
            raise LaunchError(f"Set {DB_ENV_VAR} to the database URL (PostgreSQL for several "
                              "app processes).")  # fmt: skip
        # Streamlit reads its options from STREAMLIT_* variables: the secret stays off the
        # command line, where every user of the machine could read it.
        secret = env.get(COOKIE_SECRET_ENV)
        if not secret:
            secret = secrets.token_urlsafe(32)
            os.environ[COOKIE_SECRET_ENV] = secret  # the same for every process of this run
            env[COOKIE_SECRET_ENV] = secret
        env["STREAMLIT_SERVER_COOKIE_SECRET"] = secret
        env[BASE_URL_ENV] = self.url
        return env

    # -- app processes ------------------------------------------------------------------

    def start_app(self, index: int) -> None:
        """Start app process ``index`` and wait until its health check answers."""
        port = self.app_ports[index]
        (self.root / "logs").mkdir(parents=True, exist_ok=True)
        log = open(self.app_log(index), "ab")  # noqa: SIM115 - the child writes to it
        proc = subprocess.Popen(
            [self.python, "-m", "streamlit", "run", str(APP),
             "--server.address", "127.0.0.1", "--server.port", str(port),
             "--server.headless", "true", "--server.fileWatcherType", "none",
             "--server.runOnSave", "false", "--browser.gatherUsageStats", "false"],
            cwd=REPO, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        self.apps[index] = proc
        self.wait_app(index)

    def wait_app(self, index: int, timeout: float = START_TIMEOUT_SEC) -> None:
        """Wait until app process ``index`` answers ``/_stcore/health``."""
        proc, port = self.apps[index], self.app_ports[index]
        deadline = time.monotonic() + timeout
        while not http_ok(f"http://127.0.0.1:{port}/_stcore/health"):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = self.app_log(index).read_text(errors="replace")[-3000:]
                raise LaunchError(f"App process on port {port} did not start:\n{tail}")
            time.sleep(0.2)

    def stop_app(self, index: int) -> None:
        """Stop app process ``index`` (SIGTERM, then SIGKILL after 10 s)."""
        proc = self.apps.pop(index, None)
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def restart_app(self, index: int) -> None:
        """Stop app process ``index`` and start it again (its respondents resume elsewhere)."""
        self.stop_app(index)
        self.start_app(index)

    # -- nginx ---------------------------------------------------------------------------

    def write_nginx_config(self) -> Path:
        """Render the site and the main configuration into the run directory."""
        if (self.certificate is None) != (self.certificate_key is None):
            raise LaunchError("Give both --certificate and --certificate-key, or neither.")
        if self.certificate is None:
            self.certificate, self.certificate_key = self_signed_certificate(
                self.root / "tls", self.server_name)
        site = self.root / "alliance-survey.conf"
        site.write_text(render_site(
            self.app_ports, https_port=self.https_port, http_port=self.http_port,
            certificate=self.certificate, certificate_key=self.certificate_key,  # type: ignore[arg-type]
            access_log=self.access_log, server_name=self.server_name,
        ), encoding="utf-8")  # fmt: skip
        worker_user = None
        temp = self.root / "nginx-temp"
        temp.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # nginx started by root runs its workers as an unprivileged user, who must be
            # able to write the temporary files of buffered requests.
            import pwd

            worker_user = next((u for u in ("www-data", "nobody") if _has_user(pwd, u)), None)
            if worker_user:
                shutil.chown(temp, user=worker_user)
        main = self.root / "nginx.conf"
        main.write_text(nginx_main_config(self.root, site, worker_user=worker_user),
                        encoding="utf-8")  # fmt: skip
        return main

    def start_nginx(self) -> None:
        """Check the configuration (``nginx -t``), start nginx and wait for the proxy."""
        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                          else None)  # fmt: skip
        if nginx is None:
            raise LaunchError("nginx is not installed (Debian: apt-get install nginx-light).")
        main = self.write_nginx_config()
        (self.root / "logs").mkdir(parents=True, exist_ok=True)
        base = [nginx, "-p", str(self.root), "-c", str(main), "-e",
                str(self.root / "logs" / "nginx-error.log")]  # fmt: skip
        test = subprocess.run([*base, "-t"], capture_output=True, text=True, timeout=30,
                              check=False)  # fmt: skip
        if test.returncode != 0:
            raise LaunchError(f"nginx refused the configuration:\n{test.stderr.strip()}")
        self.nginx = subprocess.Popen(base, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        context = ssl.create_default_context(cafile=str(self.certificate))
        context.check_hostname = False  # the proxy is checked on 127.0.0.1
        deadline = time.monotonic() + 30
        while not http_ok(f"https://127.0.0.1:{self.https_port}/_stcore/health", context=context):
            if self.nginx.poll() is not None or time.monotonic() > deadline:
                err = self.nginx.stderr.read().decode(errors="replace") if self.nginx.stderr else ""
                raise LaunchError(f"nginx did not start:\n{err}")
            time.sleep(0.2)

    # -- all of it -----------------------------------------------------------------------

    def start(self) -> None:
        """Migrate the store once, start every app process, then nginx."""
        from instruments.store import ResponseStore

        self.root.mkdir(parents=True, exist_ok=True)
        env = self._env()
        # One migration before the processes start, instead of a race of them.
        ResponseStore(env["ALLIANCE_SURVEY_DB"]).dispose()
        try:
            for index in range(len(self.app_ports)):
                self.start_app(index)
            self.start_nginx()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop nginx and every app process."""
        if self.nginx is not None and self.nginx.poll() is None:
            # Fast shutdown: a graceful one would wait for every open websocket, and the
            # app processes behind it stop next anyway.
            self.nginx.terminate()
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait(timeout=10)
        self.nginx = None
        for index in list(self.apps):
            self.stop_app(index)

    def supervise(self) -> None:
        """Keep the processes running until SIGTERM or SIGINT; SIGHUP restarts them in turn."""
        stop = {"now": False, "rolling": False}

        def on_stop(signum, frame) -> None:  # noqa: ANN001
            stop["now"] = True

        def on_hup(signum, frame) -> None:  # noqa: ANN001
            stop["rolling"] = True

        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGINT, on_stop)
        signal.signal(signal.SIGHUP, on_hup)
        try:
            while not stop["now"]:
                if stop["rolling"]:
                    stop["rolling"] = False
                    for index in range(len(self.app_ports)):
                        print(f"Restarting the app process on port {self.app_ports[index]}.",
                              flush=True)  # fmt: skip
                        self.restart_app(index)
                for index, proc in list(self.apps.items()):
                    if proc.poll() is not None:
                        print(f"App process on port {self.app_ports[index]} exited "
                              f"({proc.returncode}); starting it again.", flush=True)  # fmt: skip
                        self.start_app(index)
                if self.nginx is not None and self.nginx.poll() is not None:
                    raise LaunchError("nginx exited; see logs/nginx-error.log in the run directory.")
                time.sleep(1.0)
        finally:
            self.stop()


def _has_user(pwd, name: str) -> bool:  # noqa: ANN001
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python deploy/launch.py",
        description="Run N survey app processes behind nginx with TLS and sticky sessions.",
    )
    parser.add_argument("--replicas", type=int, default=2, help="app processes (default 2)")
    parser.add_argument("--first-app-port", type=int, default=8501,
                        help="port of the first app process on 127.0.0.1 (default 8501)")
    parser.add_argument("--https-port", type=int, default=8443, help="TLS port (default 8443)")
    parser.add_argument("--http-port", type=int, help="also redirect plain HTTP on this port")
    parser.add_argument("--server-name", default="localhost", help="public host name")
    parser.add_argument("--certificate", type=Path, help="PEM certificate (chain)")
    parser.add_argument("--certificate-key", type=Path, help="its private key")
    parser.add_argument("--run-dir", type=Path, default=REPO / "out" / "deploy",
                        help="configuration, logs and pid file (default out/deploy)")
    parser.add_argument("--render-site", type=Path, metavar="FILE",
                        help="only write the nginx site file (for the system nginx) and exit")
    parser.add_argument("--access-log", default="/var/log/nginx/alliance-survey.access.log",
                        help="access log named in a file written with --render-site")
    args = parser.parse_args(argv)
    if not 1 <= args.replicas <= 64:
        parser.error("--replicas must be between 1 and 64.")
    ports = [args.first_app_port + k for k in range(args.replicas)]
    try:
        if args.render_site:
            if args.certificate is None or args.certificate_key is None:
                parser.error("--render-site needs --certificate and --certificate-key.")
            args.render_site.write_text(render_site(
                ports, https_port=args.https_port, http_port=args.http_port,
                certificate=args.certificate, certificate_key=args.certificate_key,
                access_log=args.access_log, server_name=args.server_name,
            ), encoding="utf-8")  # fmt: skip
            print(f"Wrote {args.render_site}.")
            return 0
        deployment = Deployment(
            root=args.run_dir.resolve(), app_ports=ports, https_port=args.https_port,
            http_port=args.http_port, server_name=args.server_name,
            certificate=args.certificate, certificate_key=args.certificate_key,
        )  # fmt: skip
        deployment.start()
        print(f"Serving {deployment.url} with {args.replicas} app processes "
              f"(ports {', '.join(map(str, ports))}); logs in {deployment.root / 'logs'}.",
              flush=True)  # fmt: skip
        deployment.supervise()
    except LaunchError as exc:
        print(f"launch: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    sys.exit(main())
