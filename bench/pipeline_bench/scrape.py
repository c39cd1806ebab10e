"""Scraping a service's /metrics while it runs, as Prometheus would (the metrics section).

The cost of `--http` is only meaningful with someone reading the metrics: the service serves on
a free port (`--http 127.0.0.1:0`) and logs the address; the scraper finds it in the service's
stderr, GETs /metrics at once and then every second, and checks each answer (200, ends with
`# EOF`). A failed scrape is counted, not fatal: the service may just have exited.
"""
import re
import threading
import urllib.request

from . import config


class Scraper:
    """GETs http://ADDRESS/metrics once the service has logged the address it serves
    (`serving HTTP … address=HOST:PORT`), at once and then every SCRAPE_INTERVAL_S, as Prometheus
    would, until stopped. Feed it the service's stderr lines (`on_stderr_line`)."""

    def __init__(self, interval=config.SCRAPE_INTERVAL_S):
        self.interval = interval
        self.address = None
        self.scrapes = 0
        self.failures = 0
        self.bytes = 0
        self.errors = []
        self._found = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def on_stderr_line(self, line):
        if self.address is None and "serving HTTP" in line:
            match = re.search(r"address=(\S+)", re.sub(r"\x1b\[[0-9;]*m", "", line))
            if match:
                self.address = match.group(1)
                self._found.set()

    def _run(self):
        while not self._found.wait(0.05):
            if self._stop.is_set():
                return
        url = f"http://{self.address}/metrics"
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    body = answer.read()
                    if answer.status != 200 or b"# EOF" not in body:
                        raise RuntimeError(f"status {answer.status}, {len(body)} bytes")
                self.scrapes += 1
                self.bytes += len(body)
            except Exception as error:  # the service may just have exited: counted, not fatal
                self.failures += 1
                self.errors.append(str(error))
            self._stop.wait(self.interval)

    def stop(self):
        """Stops scraping; returns what the run's measurement records about it."""
        self._stop.set()
        self._thread.join(5)
        return {"http_address": self.address, "scrapes": self.scrapes,
                "scrape_failures": self.failures,
                "scrape_bytes": self.bytes // self.scrapes if self.scrapes else 0}


def scraper_for(http):
    """A running Scraper when the service is to serve `--http`, else None."""
    return Scraper() if http else None


def http_flags(scraper):
    """The service's `--http` flags when it is scraped, none otherwise."""
    return [] if scraper is None else ["--http", config.HTTP_ADDRESS]


def stop_scraper(scraper):
    """Stops `scraper` if there is one; returns its figures ({} without one)."""
    return scraper.stop() if scraper else {}


def require_address(scraped, who):
    """A scraped service must have logged the address it serves: else its --http was not on."""
    if scraped and not scraped["http_address"]:
        raise RuntimeError(f"{who}: no `serving HTTP … address=` line on stderr")
