"""What the boot benchmarks share: an instance of a launcher configuration, and the node's heights
read from its RPC while something happens to it."""
import json, subprocess, threading, time


def instance(name, address, image, disk, forwards):
    return f"""  {name}:
    role: {name}
    image: {image}
    hostname: trustnet-{name}
    address: {address}
    memory: 1G
    cpus: 1
    disk: {disk}
    forwards: [{forwards}]
    boot: uefi
"""


class Heights(threading.Thread):
    """Reads the node's height every 0.5 s; keeps when each new height was first seen."""

    def __init__(self, inside, ca):
        super().__init__(daemon=True)
        self.inside, self.ca, self.seen, self.stopping = inside, ca, [], threading.Event()

    def height(self):
        try:
            out = subprocess.run(self.inside + ["curl", "-sS", "--max-time", "2", "--cacert", str(self.ca),
                                                "https://[fd10:1234::1]:26657/status"], capture_output=True, text=True).stdout
            return int(json.loads(out)["result"]["sync_info"]["latest_block_height"])
        except (ValueError, KeyError):
            return -1

    def run(self):
        while not self.stopping.is_set():
            height = self.height()
            if height >= 0 and (not self.seen or height > self.seen[-1][1]):
                self.seen.append((time.monotonic(), height))
            time.sleep(0.5)

    def longest_gap(self, start, end):
        """The longest time without a new block between start and end (from the last block before start)."""
        times = [t for t, _ in self.seen if t <= end]
        before = [t for t in times if t < start]
        points = ([before[-1]] if before else []) + [t for t in times if t >= start] + [end]
        return max(b - a for a, b in zip(points, points[1:]))

    def height_at(self, moment):
        past = [h for t, h in self.seen if t <= moment]
        return past[-1] if past else -1

    def committing_again(self, since, limit=600):
        """Waits (at most `limit` s) until the height has grown past what it was at `since`; returns when."""
        floor = self.height_at(since)
        deadline = time.monotonic() + limit
        while self.height_at(time.monotonic()) <= floor and time.monotonic() < deadline:
            time.sleep(0.5)
        return time.monotonic()
