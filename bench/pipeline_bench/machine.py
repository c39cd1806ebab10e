"""What the figures were measured on: CPU, memory, OS, tool versions, load average.

The machine is shared: the report gives the load average at the start of every section, so that
a reader can tell a quiet run from a busy one.
"""
import os
import platform
import subprocess


def machine():
    """CPUs, memory, kernel and OS, tansu's version and the anchors' library versions."""
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    tansu = subprocess.run(["tansu", "--version"], capture_output=True, text=True).stdout.strip()
    import confluent_kafka
    import kafka
    return {
        "cpus": os.cpu_count(), "cpu_model": cpu, "memory_gib": round(mem_kb / 2**20, 1),
        "kernel": platform.release(), "os": platform.freedesktop_os_release().get(
            "PRETTY_NAME", "linux") if hasattr(platform, "freedesktop_os_release") else "linux",
        "tansu": tansu, "librdkafka": confluent_kafka.libversion()[0],
        "confluent_kafka": confluent_kafka.__version__, "kafka_python_ng": kafka.__version__,
        "python": platform.python_version(),
    }


def loadavg():
    """The 1-minute load average now."""
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])
