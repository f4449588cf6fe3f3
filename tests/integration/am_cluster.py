"""Alertmanager clusters for integration tests: real prometheus-alertmanager (0.25) processes on
127.0.0.1, gossiping with each other (memberlist on a loopback port each, every instance given
every other as --cluster.peer), tuned so that a test sees a cluster decision within seconds.
Python standard library only.

Timing (what a test waits for after a notification to be sure that no duplicate follows):
  PEER_TIMEOUT   the wait of the instance at cluster position i before it notifies: i x this.
                 The first instance's notification log entry must reach the second within it
                 (gossip every GOSSIP_INTERVAL), or the second notifies too.
  SETTLE_TIMEOUT how long an instance waits at start for the cluster to settle before its first
                 notification.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from harness import die_with_parent, free_tcp_port, stop_process

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
PEER_TIMEOUT = 1.5  # seconds
GOSSIP_INTERVAL = 0.05
PUSHPULL_INTERVAL = 1.0
SETTLE_TIMEOUT = 2.0


def _get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


class Peer:
    """One Alertmanager of a cluster: its web port, its cluster port, its process."""

    def __init__(self, directory: Path, name: str, config: Path, web_port: int,
                 cluster_port: int, peers: list[int]):
        self.name = name
        self.port = web_port
        self.cluster_port = cluster_port
        self.log_path = directory / f"{name}.log"
        storage = directory / f"{name}-data"
        storage.mkdir(exist_ok=True)
        argv = [ALERTMANAGER, f"--config.file={config}", f"--storage.path={storage}",
                f"--web.listen-address=127.0.0.1:{web_port}",
                f"--cluster.listen-address=127.0.0.1:{cluster_port}",
                f"--cluster.advertise-address=127.0.0.1:{cluster_port}",
                f"--cluster.peer-timeout={PEER_TIMEOUT:g}s",
                f"--cluster.gossip-interval={GOSSIP_INTERVAL * 1000:g}ms",
                f"--cluster.pushpull-interval={PUSHPULL_INTERVAL:g}s",
                f"--cluster.settle-timeout={SETTLE_TIMEOUT:g}s",
                "--cluster.probe-interval=200ms", "--cluster.probe-timeout=100ms",
                "--cluster.reconnect-interval=1s", "--log.level=info"]
        argv += [f"--cluster.peer=127.0.0.1:{p}" for p in peers]
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=log,
                                          start_new_session=True, preexec_fn=die_with_parent)

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def alive(self) -> bool:
        return self.popen.poll() is None

    def ready(self) -> bool:
        try:
            return _get(self.url("/-/ready"), 1)[0] == 200
        except OSError:
            return False

    def cluster_peers(self) -> int:
        """The number of peers this instance sees in its cluster (itself included)."""
        status, body = _get(self.url("/api/v2/status"))
        if status != 200:
            return 0
        return len((json.loads(body).get("cluster") or {}).get("peers") or [])

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> int | None:
        """SIGTERM by PID (SIGKILL after 5 s)."""
        return stop_process(self.popen)


def start_cluster(directory: Path, config_text: str, size: int = 2,
                  timeout: float = 20.0) -> list[Peer]:
    """`size` Alertmanagers with the same configuration, each peering with all the others;
    returns once every one is ready and sees all `size` members. Raises RuntimeError (after
    stopping what it started) otherwise."""
    config = directory / "alertmanager.yml"
    config.write_text(config_text)
    web = [free_tcp_port() for _ in range(size)]
    gossip = [free_tcp_port() for _ in range(size)]
    peers: list[Peer] = []
    try:
        for i in range(size):
            peers.append(Peer(directory, f"am{i + 1}", config, web[i], gossip[i],
                              [p for j, p in enumerate(gossip) if j != i]))
        deadline = time.monotonic() + timeout
        while not all(p.alive() and p.ready() and p.cluster_peers() == size for p in peers):
            if time.monotonic() > deadline or not all(p.alive() for p in peers):
                raise RuntimeError("the Alertmanager cluster did not form:\n" +
                                   "\n".join(f"--- {p.name}:\n{p.log()[-3000:]}"
                                             for p in peers))
            time.sleep(0.1)
        return peers
    except BaseException:
        for p in peers:
            p.stop()
        raise
