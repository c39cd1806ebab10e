"""A measured child process: its output, wall time, CPU time and memory.

Wall time, peak RSS and RSS come from /proc/PID/status (VmHWM and VmRSS, sampled every 20 ms;
VmHWM is the kernel's high-water mark, so its last sample is the peak give or take the last
20 ms). Not wait4's ru_maxrss: it counts the Python parent's pages the child had between fork and
exec, ~30 MB here. CPU time (user + sys) is wait4's, of the whole process from start to exit.
Every process's command line and output go to .run/bench/NAME.log.
"""
import json
import os
import signal
import subprocess
import threading
import time

from . import config


def read_status(pid, *fields):
    """The named fields of /proc/PID/status (e.g. "VmRSS", "VmHWM"), in KiB, those present only
    (an exited process that is not yet reaped has none). Raises OSError once the process is
    gone."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in fields:
                values[name] = int(rest.split()[0])
    return values


class Proc:
    """A child process whose output is kept and whose RSS and peak RSS are sampled every 20 ms."""

    def __init__(self, name, cmd, on_stderr_line=None):
        self.name = name
        self.cmd = [str(c) for c in cmd]
        config.LOGS.mkdir(parents=True, exist_ok=True)
        self.log = open(self.log_path(name), "w")
        self.log.write("$ " + " ".join(self.cmd) + "\n")
        self.log.flush()
        self.started = time.perf_counter()
        self.popen = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, cwd=config.ROOT)
        self.stdout = []
        self.cpu_s = None
        self.rss_kb = 0
        self.hwm_kb = 0
        self.done = False
        self.threads = [
            threading.Thread(target=self._read, args=(self.popen.stdout, self.stdout, None)),
            threading.Thread(target=self._read, args=(self.popen.stderr, None, on_stderr_line)),
            threading.Thread(target=self._sample),
        ]
        for thread in self.threads:
            thread.daemon = True
            thread.start()

    @staticmethod
    def log_path(name):
        """Where the process called `name` writes its log."""
        return config.LOGS / f"{name}.log"

    def _read(self, pipe, keep, callback):
        for line in pipe:
            self.log.write(line)
            if keep is not None:
                keep.append(line)
            if callback:
                callback(line)

    def _note_peak(self, fields):
        if "VmHWM" in fields:
            self.hwm_kb = max(self.hwm_kb, fields["VmHWM"])

    def _sample(self):
        while not self.done:
            try:
                fields = read_status(self.popen.pid, "VmRSS", "VmHWM")
            except (OSError, ValueError):
                return
            if "VmRSS" in fields:
                self.rss_kb = fields["VmRSS"]
            self._note_peak(fields)
            time.sleep(0.02)

    def current_rss_kb(self):
        """VmRSS right now (0 once the process is gone)."""
        try:
            return read_status(self.popen.pid, "VmRSS").get("VmRSS", 0)
        except OSError:
            return 0

    def stop(self):
        """Asks the process to finish (SIGTERM), as a user's Ctrl-C would."""
        if self.popen.returncode is None:
            self.popen.send_signal(signal.SIGTERM)

    def wait(self, timeout=600):
        """Reaps the process; returns (exit code, wall seconds, peak RSS KiB, stdout lines)."""
        deadline = time.monotonic() + timeout
        while True:
            # Peek without reaping, so that the last VmHWM can still be read.
            if os.waitid(os.P_PID, self.popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
                break
            if time.monotonic() > deadline:
                self.popen.kill()
                self.log.write(f"\n[bench] killed after {timeout}s\n")
                break
            time.sleep(0.005)
        try:
            self._note_peak(read_status(self.popen.pid, "VmHWM"))
        except OSError:
            pass
        _, status, usage = os.wait4(self.popen.pid, 0)
        wall = time.perf_counter() - self.started
        self.cpu_s = usage.ru_utime + usage.ru_stime
        self.done = True
        self.popen.returncode = os.waitstatus_to_exitcode(status)
        for thread in self.threads[:2]:
            thread.join(5)
        self.log.write(f"\n[bench] exit {self.popen.returncode}, {wall:.3f}s, "
                       f"CPU {self.cpu_s:.3f}s, peak RSS {self.hwm_kb} KiB\n")
        self.log.close()
        return self.popen.returncode, wall, self.hwm_kb, self.stdout

    def json(self):
        """The last JSON object the process printed on stdout."""
        for line in reversed(self.stdout):
            line = line.strip()
            if line.startswith("{"):
                return json.loads(line)
        raise RuntimeError(f"{self.name}: no JSON on stdout (see {self.log_path(self.name)})")


def run_json(name, cmd, timeout=600, on_stderr_line=None):
    """Runs `cmd` to its end and returns the last JSON object it printed, with the process's
    `wall_s`, `peak_rss_kb` and `cpu_s` added. A non-zero exit is an error (see its log)."""
    proc = Proc(name, cmd, on_stderr_line)
    code, wall, peak, _ = proc.wait(timeout)
    if code != 0:
        raise RuntimeError(f"{name} exited with {code}: see {Proc.log_path(name)}")
    result = proc.json()
    result.update(wall_s=wall, peak_rss_kb=peak, cpu_s=proc.cpu_s)
    return result
